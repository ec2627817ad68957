"""``mykey-counter outbox``: the transfers the counter has not got an answer for.

Lists the pending entries and the dead-letter list (the tries ran out, see
:mod:`app.points.retry`); ``--retry ID`` makes a dead entry pending again: the running
kiosk's retry timer (or the next start-up) sends it, with the same id. An id that is not
in the dead-letter list changes nothing and ends with :data:`NOT_DEAD_STATUS`.
"""

from __future__ import annotations

import click

from app.cli.state import CliState

#: ``--retry ID`` of an entry that is not in the dead-letter list
NOT_DEAD_STATUS = 54


@click.command("outbox")
@click.option("--retry", "retry_id", metavar="ID",
              help="Send this dead-letter entry again (pending again, the same id).")
@click.pass_obj
def outbox(state: CliState, retry_id: str | None) -> None:
    """List the outbox's pending and dead-letter entries, or send a dead one again."""
    from app.points.outbox import OUTBOX_FILE, EntryState, Outbox

    state.settings(service_cache=False)  # a public place's refusals first, as everywhere
    texts = state.texts
    path = state.home / OUTBOX_FILE
    if not path.exists():  # never create the file to say it is empty
        if retry_id is not None:
            click.echo(texts.tr("cli.outbox.not_dead", id=retry_id), err=True)
            raise SystemExit(NOT_DEAD_STATUS)
        click.echo(texts.tr("cli.outbox.summary", pending=0, dead=0))
        return
    box = Outbox(path)
    try:
        if retry_id is not None:
            if not box.revive(retry_id):
                click.echo(texts.tr("cli.outbox.not_dead", id=retry_id), err=True)
                raise SystemExit(NOT_DEAD_STATUS)
            click.echo(texts.tr("cli.outbox.revived", id=retry_id))
            return
        pending, dead = box.records(EntryState.PENDING), box.dead()
        click.echo(texts.tr("cli.outbox.summary", pending=len(pending), dead=len(dead)))
        for record in [*pending, *dead]:
            entry = record.entry
            click.echo("\t".join([record.state.value, entry.id, entry.created_at.isoformat(),
                                  entry.operation.value, str(record.attempts),
                                  record.last_error or "-"]))
    finally:
        box.close()
