"""``mykey-platform mail …``: deliver the residents' e-mail notices."""

from __future__ import annotations

import smtplib

import click

from server.cli.context import CliContext, echo_fields, pass_cli
from server.portal.mail import DEFAULT_SENDER, SmtpSettings, parse_smtp, send_pending

SMTP_ENV = "MYKEY_PLATFORM_SMTP"


@click.group("mail")
def mail_group() -> None:
    """E-mail notices (the outbox the portal and the ledger fill)."""


@mail_group.command("send")
@click.option(
    "--smtp",
    envvar=SMTP_ENV,
    default="localhost:25",
    show_default=True,
    metavar="HOST:PORT",
    help=f"SMTP server (env {SMTP_ENV})",
)
@click.option("--sender", default=DEFAULT_SENDER, show_default=True, help="From address")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@pass_cli
def mail_send(cli: CliContext, smtp: str, sender: str, starttls: bool, limit: int) -> None:
    """Deliver pending e-mail notices through SMTP."""
    try:
        host, port = parse_smtp(smtp)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--smtp") from None
    settings = SmtpSettings(host=host, port=port, sender=sender, starttls=starttls)
    try:
        report = send_pending(cli.db(), settings, limit)
    except (OSError, smtplib.SMTPException) as error:
        raise click.ClickException(f"SMTP server {host}:{port}: {error}") from None
    echo_fields(sent=report.sent, failed=report.failed)
    if report.failed:
        raise SystemExit(1)


COMMANDS = (mail_group,)
