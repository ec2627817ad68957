"""The card step of a headless command: wait for a card, decide on the tries, read the PIN."""

from __future__ import annotations

import sys

import click

from app.cli.backends import Backends
from app.cli.errors import usage
from app.cli.texts import Texts
from app.ports import ErrorKind, TapError
from drivers.card.pin import PIN_LENGTH, PinGate, pin_gate, valid_pin

__all__ = ["PIN_LENGTH", "check_tries", "pin_ok", "read_pin", "wait_for_card"]


def pin_ok(pin: str) -> bool:
    """The card driver's PIN rule."""
    return valid_pin(pin)


def wait_for_card(backends: Backends, reader: str | None, wait_s: float, texts: Texts) -> str:
    """The reader holding a card, within ``wait_s``; TapError when none comes or no reader."""
    from drivers.card.errors import CardError, NoReader

    click.echo(texts.tr("cli.card.waiting"), err=True)
    try:
        return backends.wait_for_card(reader, wait_s)
    except TimeoutError:
        raise TapError(ErrorKind.CARD_REMOVED,
                       texts.tr("cli.card.none_within", seconds=f"{wait_s:g}")) from None
    except NoReader as e:
        raise TapError(ErrorKind.NO_READER, str(e)) from None
    except CardError as e:
        raise TapError(ErrorKind.CARD_ERROR, str(e)) from None


def check_tries(tries_left: int, *, allow_last_try: bool, texts: Texts) -> None:
    """Say how many PIN tries are left; refuse a blocked PIN, and the last try unless allowed."""
    click.echo(texts.tr("cli.card.tries_left", tries=tries_left), err=True)
    gate = pin_gate(tries_left, last_try_allowed=allow_last_try)
    if gate is PinGate.LOCKED:
        raise TapError(ErrorKind.PIN_BLOCKED, tries_left=0)
    if gate is PinGate.CONFIRM:
        raise TapError(ErrorKind.LAST_TRY_REFUSED, tries_left=1)


def read_pin(from_stdin: bool, texts: Texts) -> str:
    """The PIN from stdin's first line or a prompt without echo; a usage error unless 4 digits."""
    if from_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt(texts.tr("cli.card.pin_prompt"), hide_input=True, err=True,
                           default="", show_default=False)
    if not pin_ok(pin):
        usage(texts.tr("cli.card.pin_rule", digits=PIN_LENGTH))
    return pin
