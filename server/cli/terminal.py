"""``mykey-platform terminal …``: counter terminals and their enrollment codes."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.terminals.enrollment import IssuedCode, issue_code, list_terminals, revoke_terminal
from server.terminals.models import Terminal


@click.group("terminal")
def terminal_group() -> None:
    """Counter terminals: enrollment codes, list, revoke."""


@terminal_group.command("add")
@click.option("--service", "service_name", required=True, help="the one service it looks up")
@click.option("--name", required=True, help="a label, e.g. 'α市立中央図書館 1F desk'")
@pass_cli
def terminal_add(cli: CliContext, service_name: str, name: str) -> None:
    """Issue a one-time enrollment code for a new terminal (the last line printed)."""

    def work(session: Session) -> IssuedCode:
        return issue_code(session, service_name, name)

    issued = cli.run(work)
    echo_fields(
        terminal=name,
        service=service_name,
        code_expires=f"{issued.expires_at:%Y-%m-%d %H:%M} UTC (single use)",
    )
    click.echo(issued.code)


@terminal_group.command("list")
@pass_cli
def terminal_list(cli: CliContext) -> None:
    """List enrolled terminals."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (
                t.id,
                t.service.name,
                f"{t.enrolled_at:%Y-%m-%d %H:%M}",
                "revoked" if t.revoked_at else "active",
                t.name,
            )
            for t in list_terminals(session)
        ]

    echo_table(("TERMINAL ID", "SERVICE", "ENROLLED", "STATUS", "NAME"), cli.run(work))


@terminal_group.command("revoke")
@click.argument("terminal_id")
@pass_cli
def terminal_revoke(cli: CliContext, terminal_id: str) -> None:
    """Refuse every further request from TERMINAL_ID."""

    def work(session: Session) -> Terminal:
        return revoke_terminal(session, terminal_id)

    revoked = cli.run(work)
    echo_fields(
        terminal=revoked.id,
        name=revoked.name,
        revoked_at=f"{revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC",
    )


COMMANDS = [terminal_group]
