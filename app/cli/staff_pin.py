"""``mykey-counter staff-pin``: set the staff PIN that opens the kiosk's settings screen."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, cast

import click

from app.cli.errors import usage
from app.cli.state import CliState

if TYPE_CHECKING:
    from app.staff import KeyStore


@click.command("staff-pin")
@click.option("--pin-stdin", is_flag=True,
              help="Read the new staff PIN from the first line of stdin (no prompt).")
@click.pass_obj
def staff_pin(state: CliState, pin_stdin: bool) -> None:
    """Set the staff PIN (6-12 digits) that opens the kiosk's settings screen.

    Only its salted hash is kept, in the keyring (secrets_backend), never in counter.toml.
    """
    from app.secrets import SecretsError
    from app.staff import MAX_LENGTH, MIN_LENGTH, set_staff_pin, valid_staff_pin

    texts = state.texts
    if pin_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt(texts.tr("cli.staff_pin.prompt"), hide_input=True, err=True,
                           default="", show_default=False)
        if valid_staff_pin(pin):
            again = click.prompt(texts.tr("cli.staff_pin.again"), hide_input=True, err=True,
                                 default="", show_default=False)
            if again != pin:
                usage(texts.tr("cli.staff_pin.differ"))
    if not valid_staff_pin(pin):
        usage(texts.tr("cli.staff_pin.rule", min=MIN_LENGTH, max=MAX_LENGTH))
    settings = state.settings(service_cache=False)
    try:
        store = cast("KeyStore", state.backends.key_store(settings, state.home))
        set_staff_pin(store, pin)
    except SecretsError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(1) from None
    click.echo(state.texts.tr("cli.staff_pin.set"))
