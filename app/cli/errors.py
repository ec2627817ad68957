"""How a command ends in failure: one ``error: …`` line on stderr and its exit status."""

from __future__ import annotations

from typing import NoReturn

import click

from app.cli.texts import Texts, catalogue
from app.i18n import N_
from app.ports import EXIT_STATUS, ErrorKind, TapError

#: exit status for usage and configuration errors (EXIT_STATUS keeps 1 free for it)
USAGE_STATUS = 1

#: one short message per error
MESSAGES: dict[ErrorKind, str] = {
    ErrorKind.NOT_JPKI_CARD: N_("cli.error.not_jpki_card"),
    ErrorKind.CARD_REMOVED: N_("cli.error.card_removed"),
    ErrorKind.NO_READER: N_("cli.error.no_reader"),
    ErrorKind.WRONG_PIN: N_("cli.error.wrong_pin"),
    ErrorKind.PIN_BLOCKED: N_("cli.error.pin_blocked"),
    ErrorKind.LAST_TRY_REFUSED: N_("cli.error.last_try_refused"),
    ErrorKind.NOT_REGISTERED: N_("cli.error.not_registered"),
    ErrorKind.CERTIFICATE_REVOKED: N_("cli.error.certificate_revoked"),
    ErrorKind.CERTIFICATE_EXPIRED: N_("cli.error.certificate_expired"),
    ErrorKind.CERTIFICATE_UNTRUSTED: N_("cli.error.certificate_untrusted"),
    ErrorKind.CERTIFICATE_RETIRED: N_("cli.error.certificate_retired"),
    ErrorKind.PLATFORM_UNREACHABLE: N_("cli.error.platform_unreachable"),
    ErrorKind.NOT_ENROLLED: N_("cli.error.not_enrolled"),
    ErrorKind.CARD_ERROR: N_("cli.error.card_error"),
    ErrorKind.PLATFORM_ERROR: N_("cli.error.platform_error"),
    ErrorKind.LABEL_LIMIT_REACHED: N_("cli.error.label_limit_reached"),
    ErrorKind.RATE_LIMITED: N_("cli.error.rate_limited"),
    ErrorKind.LINK_UNCONFIRMED: N_("cli.error.link_unconfirmed"),
    ErrorKind.SERVICE_ID_TAKEN: N_("cli.error.service_id_taken"),
    ErrorKind.LINK_MISMATCH: N_("cli.error.link_mismatch"),
    ErrorKind.VIRTUAL_READER_REFUSED: N_("cli.error.virtual_reader_refused"),
    ErrorKind.REVOCATION_UNKNOWN: N_("cli.error.revocation_unknown"),
}


def error_line(error: TapError, language: str = "ja") -> str:
    """One line for stderr: both languages (the configured one first) and the detail."""
    texts = Texts(language)
    if error.kind is ErrorKind.WRONG_PIN and error.tries_left is not None:
        text = texts.tr("cli.error.wrong_pin_tries", tries=error.tries_left)
    else:
        text = texts.tr(MESSAGES[error.kind])
    detail = f" ({error.detail})" if error.detail else ""
    return f"error: {text}{detail}"


def not_enrolled(texts: Texts) -> TapError:
    """The error of a command that needs an enrolled terminal, saying how to enroll (in the
    configured language only: the error's own message already has both)."""
    hint = catalogue(texts.language).tr("cli.error.not_enrolled_hint")
    return TapError(ErrorKind.NOT_ENROLLED, hint)


def fail(error: TapError, language: str) -> NoReturn:
    """End the command with ``error``'s line and exit status."""
    click.echo(error_line(error, language), err=True)
    raise SystemExit(EXIT_STATUS[error.kind])


def usage(message: str) -> NoReturn:
    """End the command as a usage or configuration error (exit status 1)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE_STATUS)
