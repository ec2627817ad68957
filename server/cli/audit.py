"""``mykey-platform audit …``: export the audit log for an auditor, and verify its chain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.audit.keys import audit_key, key_id, keyed_digest
from server.audit.verify import Verdict, export, verify, verify_export
from server.cli.context import CliContext, echo_fields, pass_cli
from server.identity.labels import JST


def parse_bound(text: str | None) -> dt.datetime | None:
    """A date (00:00 Japan time) or an ISO 8601 time (without offset: Japan time)."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a date or an ISO 8601 time") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(dt.UTC)


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log (hash chain)."""


@audit_group.command("export")
@click.option("--from", "start", metavar="WHEN", help="first moment (date or ISO time, JST)")
@click.option("--to", "end", metavar="WHEN", help="end, excluded (date or ISO time, JST)")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.jsonl"
)
@pass_cli
def audit_export(cli: CliContext, start: str | None, end: str | None, out: Path) -> None:
    """Write the events in [--from, --to) as JSON lines, with their hashes, to --out."""
    first, last = parse_bound(start), parse_bound(end)

    def work(session: Session) -> tuple[int, Verdict]:
        return export(session, out, first, last), verify(session)

    count, verdict = cli.run(work)
    echo_fields(exported=count, file=out, head_seq=verdict.head_seq, head_hash=verdict.head_hash)
    if not verdict.ok:
        raise click.ClickException(f"the log is not intact: {verdict.problem}")


@audit_group.command("verify")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="check an exported FILE.jsonl instead of the database",
)
@pass_cli
def audit_verify(cli: CliContext, path: Path | None) -> None:
    """Recompute the hash chain; exit 1 naming the first bad event."""
    verdict = verify_export(path) if path is not None else cli.run(verify)
    if not verdict.ok:
        raise click.ClickException(
            f"audit log altered at seq {verdict.first_bad_seq} of chain "
            f"{verdict.first_bad_chain}: {verdict.problem}"
        )
    echo_fields(
        status="intact",
        events=verdict.events,
        head_seq=verdict.head_seq,
        head_hash=verdict.head_hash,
    )


@audit_group.command("digest")
@click.argument("mykey_id")
@pass_cli
def audit_digest(cli: CliContext, mykey_id: str) -> None:
    """The digest under which events name MYKEY_ID (``mykey_id_hmac``): search exports
    for it.  Events from before the audit key name IDs by plain SHA-256 instead."""

    def work(session: Session) -> tuple[str, str]:
        key = audit_key(session)
        return keyed_digest(key, mykey_id), key_id(key)

    digest, key = cli.run(work)
    echo_fields(audit_key=key, mykey_id_hmac=digest)


COMMANDS = [audit_group]
