"""``mykey-platform label …``: the same-day labels terminals printed."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_table, pass_cli
from server.identity.labels import JST, LabelRecord, list_labels


@click.group("label")
def label_group() -> None:
    """Same-day labels issued at the counters."""


@label_group.command("list")
@click.option("--service", "service_name", help="only this service's labels")
@click.option(
    "--date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="only labels of this date, YYYY-MM-DD (Japan time)",
)
@pass_cli
def label_list(cli: CliContext, service_name: str | None, date: dt.datetime | None) -> None:
    """List labels issued: time (Japan), terminal, service, service ID — oldest first."""

    def work(session: Session) -> list[LabelRecord]:
        return list_labels(session, service_name, date.date() if date is not None else None)

    labels = cli.run(work)
    echo_table(
        ("ISSUED (JST)", "TERMINAL", "TERMINAL NAME", "SERVICE", "SERVICE ID"),
        [
            (
                f"{label.issued_at.astimezone(JST):%Y-%m-%d %H:%M:%S}",
                label.terminal_id,
                label.terminal_name,
                label.service,
                label.service_id,
            )
            for label in labels
        ],
    )
    click.echo(f"{len(labels)} label{'' if len(labels) == 1 else 's'}")


COMMANDS = [label_group]
