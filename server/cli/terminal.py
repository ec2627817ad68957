"""``mykey-platform terminal …``: counter terminals and their enrollment codes."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.ledger.admin import allow_terminal, deny_terminal
from server.terminals.enrollment import (
    IssuedCode,
    issue_code,
    issue_rekey_code,
    list_terminals,
    revoke_terminal,
)
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
                t.modes or "-",
                t.name,
            )
            for t in list_terminals(session)
        ]

    echo_table(("TERMINAL ID", "SERVICE", "ENROLLED", "STATUS", "MODES", "NAME"), cli.run(work))


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


@terminal_group.command("allow")
@click.argument("terminal_id")
@click.option("--mode", required=True, type=click.Choice([m.value for m in TerminalMode]))
@click.option("--shop", "shop_code", help="the shop of a shop terminal")
@click.option("--municipality", "municipality_code", help="of a grant or voucher terminal")
@pass_cli
def terminal_allow(
    cli: CliContext,
    terminal_id: str,
    mode: str,
    shop_code: str | None,
    municipality_code: str | None,
) -> None:
    """Let a terminal look up, print labels, take payments at a shop, grant points or
    issue vouchers (its scope)."""

    def work(session: Session) -> str:
        allowed = allow_terminal(
            session,
            terminal_id,
            TerminalMode(mode),
            shop_code=shop_code,
            municipality_code=municipality_code,
        )
        return allowed.modes

    echo_fields(terminal=terminal_id, modes=cli.run(work))


@terminal_group.command("rekey")
@click.argument("terminal_id")
@pass_cli
def terminal_rekey(cli: CliContext, terminal_id: str) -> None:
    """Issue a one-time code with which the terminal replaces its key (`mykey-counter
    enroll` with it); the terminal keeps its id and modes, the old key stops working."""

    def work(session: Session) -> IssuedCode:
        return issue_rekey_code(session, terminal_id)

    issued = cli.run(work)
    echo_fields(
        terminal=terminal_id,
        code_expires=f"{issued.expires_at:%Y-%m-%d %H:%M} UTC (single use)",
    )
    click.echo(issued.code)


@terminal_group.command("deny")
@click.argument("terminal_id")
@click.option("--mode", required=True, type=click.Choice([m.value for m in TerminalMode]))
@pass_cli
def terminal_deny(cli: CliContext, terminal_id: str, mode: str) -> None:
    """Take a mode away from a terminal: its next request in that mode is refused."""

    def work(session: Session) -> str:
        return deny_terminal(session, terminal_id, TerminalMode(mode)).modes

    echo_fields(terminal=terminal_id, modes=cli.run(work) or "(none)")


COMMANDS = [terminal_group]
