"""``mykey-platform staff add|list|disable|reset-credential``: staff accounts, and how the
grant commands read a staff member's code at the console.

A staff PIN is read with a hidden prompt (twice) or, when standard input is not a
terminal, from its first line; it is never an argument (arguments end up in shell
histories and process lists).  A TOTP account's ``otpauth://`` URI and its QR code are
printed once, for the staff member's authenticator app.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
import segno
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_table, pass_cli
from server.db import utcnow
from server.errors import OperatorError, PlatformError
from server.ledger import grant_desk
from server.ledger.grants import Actor
from server.staff import service
from server.staff.models import StaffAccount

#: exit statuses of ``staff`` commands (and of a refused ``--staff`` code) that scripts may
#: tell apart; 1 is any other refusal, 2 a usage error
EXIT_STAFF_EXISTS = 6
EXIT_STAFF_UNKNOWN = 7
EXIT_STAFF_BAD_PIN = 8
EXIT_STAFF_REFUSED = 9
EXIT_STATUSES = (EXIT_STAFF_EXISTS, EXIT_STAFF_UNKNOWN, EXIT_STAFF_BAD_PIN, EXIT_STAFF_REFUSED)

ISSUER = "MyKey Platform"
T = TypeVar("T")


class StaffExists(click.ClickException):
    exit_code = EXIT_STAFF_EXISTS


class StaffUnknown(click.ClickException):
    exit_code = EXIT_STAFF_UNKNOWN


class StaffBadPin(click.ClickException):
    exit_code = EXIT_STAFF_BAD_PIN


class StaffRefused(click.ClickException):
    """A ``--staff`` code refused (wrong, replayed, locked …) or the wrong municipality."""

    exit_code = EXIT_STAFF_REFUSED


def _classify(error: OperatorError) -> click.ClickException:
    text = str(error)
    if "exists already" in text:
        return StaffExists(text)
    if text.startswith("no staff account"):
        return StaffUnknown(text)
    if "PIN" in text:
        return StaffBadPin(text)
    return click.ClickException(text)


def _secret_line(prompt: str) -> str:
    """A PIN or code: a hidden prompt on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True)).strip()
    return sys.stdin.readline().strip()


def _read_pin() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return str(
        click.prompt("staff PIN (6-12 digits)", hide_input=True, confirmation_prompt=True)
    ).strip()


def _show_totp(account: StaffAccount) -> None:
    assert account.totp_secret is not None
    from server.staff.credentials import totp_uri

    uri = totp_uri(account.totp_secret, account.login, ISSUER)
    click.echo("Scan with the staff member's authenticator app (shown once):")
    segno.make(uri, error="m").terminal(compact=True)
    click.echo(uri)


def _run(cli: CliContext, work: Callable[[Session], T]) -> T:
    """:meth:`CliContext.run`, each refusal with its own exit status."""

    def guarded(session: Session) -> T:
        try:
            return work(session)
        except OperatorError as error:
            raise _classify(error) from error

    return cli.run(guarded)


@click.group("staff")
def staff_group() -> None:
    """Staff accounts: who grants and approves municipal points, with their own credential."""


@staff_group.command("add")
@click.argument("login")
@click.option("--name", required=True, help="the staff member's name, as shown")
@click.option("--municipality", "code", required=True, help="the municipality they work for")
@click.option("--pin", "use_pin", is_flag=True, help="a staff PIN (read hidden, or from stdin)")
@click.option("--totp", "use_totp", is_flag=True, help="a TOTP authenticator (prints a QR code)")
@pass_cli
def staff_add(
    cli: CliContext, login: str, name: str, code: str, use_pin: bool, use_totp: bool
) -> None:
    """Add a staff account with a PIN or a TOTP secret."""
    if use_pin == use_totp:
        raise click.UsageError("give exactly one of --pin and --totp")
    pin = _read_pin() if use_pin else None
    account = _run(
        cli,
        lambda s: service.add_staff(s, login, name, code, pin=pin, totp=use_totp),
    )
    click.echo(f"staff account {account.login} ({account.credential_kind}) added")
    if use_totp:
        _show_totp(account)


@staff_group.command("list")
@click.option("--municipality", "code", help="only this municipality's staff")
@pass_cli
def staff_list(cli: CliContext, code: str | None) -> None:
    """List staff accounts (never a credential)."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (
                a.login,
                a.display_name,
                service.municipality_code(session, a),
                a.role,
                a.credential_kind,
                "disabled" if a.disabled else "active",
                a.locked_until.isoformat(timespec="seconds") if a.locked_until else "-",
            )
            for a in service.list_staff(session, code)
        ]

    echo_table(
        ("LOGIN", "NAME", "MUNICIPALITY", "ROLE", "CREDENTIAL", "STATE", "LOCKED UNTIL"),
        _run(cli, work),
    )


@staff_group.command("disable")
@click.argument("login")
@pass_cli
def staff_disable(cli: CliContext, login: str) -> None:
    """Disable a staff account: it can no longer grant or approve."""
    _run(cli, lambda s: service.disable(s, login, utcnow()))
    click.echo(f"staff account {login} disabled")


@staff_group.command("reset-credential")
@click.argument("login")
@click.option("--pin", "use_pin", is_flag=True, help="a new staff PIN (read hidden, or stdin)")
@click.option("--totp", "use_totp", is_flag=True, help="a new TOTP secret (prints a QR code)")
@pass_cli
def staff_reset(cli: CliContext, login: str, use_pin: bool, use_totp: bool) -> None:
    """Give a staff account a new PIN or TOTP secret (and lift its lock)."""
    if use_pin == use_totp:
        raise click.UsageError("give exactly one of --pin and --totp")
    pin = _read_pin() if use_pin else None
    account = _run(cli, lambda s: service.reset_credential(s, login, pin=pin, totp=use_totp))
    click.echo(f"staff account {account.login}: new {account.credential_kind}")
    if use_totp:
        _show_totp(account)


def console_actor(cli: CliContext, login: str | None, operator: bool, code: str) -> Actor:
    """Who a grant command acts as: ``--staff LOGIN`` (its PIN or TOTP code read hidden,
    or from stdin) or ``--operator`` (recorded as the operator); never a typed name."""
    if (login is None) == (not operator):
        raise click.UsageError("give exactly one of --staff LOGIN and --operator")
    if login is None:
        return Actor.operator()
    secret = _secret_line(f"{login}'s PIN or TOTP code")
    try:
        return grant_desk.console_actor(cli.db(), login, secret, code)
    except PlatformError as error:
        raise StaffRefused(error.message) from error


COMMANDS = (staff_group,)
