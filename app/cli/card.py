"""The card step of a headless command: wait for a card, decide on the tries, read the PIN."""

from __future__ import annotations

import sys

import click

from app.cli.backends import Backends
from app.cli.errors import usage
from app.ports import ErrorKind, TapError

PIN_LENGTH = 4


def pin_ok(pin: str) -> bool:
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def wait_for_card(backends: Backends, reader: str | None, wait_s: float) -> str:
    """The reader holding a card, within ``wait_s``; TapError when none comes or no reader."""
    from drivers.card.errors import CardError, NoReader

    click.echo("waiting for a card / カードを置いてください", err=True)
    try:
        return backends.wait_for_card(reader, wait_s)
    except TimeoutError:
        raise TapError(ErrorKind.CARD_REMOVED, f"no card within {wait_s:g} s") from None
    except NoReader as e:
        raise TapError(ErrorKind.NO_READER, str(e)) from None
    except CardError as e:
        raise TapError(ErrorKind.CARD_ERROR, str(e)) from None


def check_tries(tries_left: int, *, allow_last_try: bool) -> None:
    """Say how many PIN tries are left; refuse a blocked PIN, and the last try unless allowed."""
    click.echo(f"PIN tries left / 暗証番号の残り回数: {tries_left}", err=True)
    if tries_left <= 0:
        raise TapError(ErrorKind.PIN_BLOCKED, tries_left=0)
    if tries_left == 1 and not allow_last_try:
        raise TapError(ErrorKind.LAST_TRY_REFUSED, tries_left=1)


def read_pin(from_stdin: bool) -> str:
    """The PIN from stdin's first line or a prompt without echo; a usage error unless 4 digits."""
    if from_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt("PIN (暗証番号)", hide_input=True, err=True, default="",
                           show_default=False)
    if not pin_ok(pin):
        usage("the PIN must be 4 digits / 暗証番号は数字4桁です (nothing was sent to the card)")
    return pin
