"""``mykey-counter register``: prove a card and open the portal's MyKey ID registration.

The card signs a platform challenge (as at a lookup, :func:`app.card_work.prove`);
the platform answers a one-time link to the registration page (画面16), valid for ten
minutes, which is printed and opened in the browser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

import click

from app.ports import ErrorKind, TapError

if TYPE_CHECKING:
    from app.cli import CliState
    from server.api.schemas import ChallengeResponse, LookupResult, RegistrationTicket


class TicketClient(Protocol):
    """What this command needs of :class:`app.client.PlatformClient`."""

    def challenge(self) -> ChallengeResponse: ...

    def lookup(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> LookupResult: ...

    def registration_ticket(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> RegistrationTicket: ...

    def close(self) -> None: ...


@click.command("register")
@click.option("--reader", default=None, help="PC/SC reader name (default: settings, else any).")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from the first line of stdin.")
@click.option("--allow-last-try", is_flag=True, help="Use the PIN even if only one try is left.")
@click.option(
    "--wait-s",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a card.",
)
@click.option("--no-browser", is_flag=True, help="Only print the link, do not open it.")
@click.pass_obj
def register(
    state: CliState,
    reader: str | None,
    pin_stdin: bool,
    allow_last_try: bool,
    wait_s: float,
    no_browser: bool,
) -> None:
    """Tap a card, then open the portal to create its MyKey ID (or bind a renewed card)."""
    from app.cli import NOT_ENROLLED_HINT, _fail, _read_pin, _wait
    from app.tap import CardTapper

    settings = state.settings()
    language = settings.language
    if settings.terminal_id is None:
        _fail(TapError(ErrorKind.NOT_ENROLLED, NOT_ENROLLED_HINT), language)
    backends = state.backends
    try:
        card_reader = _wait(backends, reader or settings.reader, wait_s)
        client = cast(TicketClient, backends.make_client(settings, state.home))
        tapper = CardTapper(client, card_reader, card_timeout_s=settings.card_timeout_s)
        status = tapper.probe()
        click.echo(f"PIN tries left / 暗証番号の残り回数: {status.tries_left}", err=True)
        if status.tries_left <= 0:
            raise TapError(ErrorKind.PIN_BLOCKED, tries_left=0)
        if status.tries_left == 1 and not allow_last_try:
            raise TapError(ErrorKind.LAST_TRY_REFUSED, tries_left=1)
        pin = _read_pin(pin_stdin)
        proof = tapper.prove(pin, allow_last_try=allow_last_try)
        ticket = client.registration_ticket(*proof)
    except TapError as e:
        _fail(e, language)
    finally:
        if "client" in locals():
            client.close()
    click.echo(ticket.url)
    click.echo(
        f"valid until {ticket.expires_at:%H:%M:%S} UTC, once / 有効期限内に1回だけ使えます",
        err=True,
    )
    if not no_browser:
        import webbrowser  # here: its import (subprocess, shlex) is on the kiosk's path

        webbrowser.open(ticket.url)
