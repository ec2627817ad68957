"""``mykey-counter register``: prove a card and open the portal's MyKey ID registration.

The card signs a platform challenge (as at a lookup, :func:`app.card_work.prove`);
the platform answers a one-time link to the registration page (画面16), valid for ten
minutes, which is printed and opened in the browser.

With ``--old-card`` (a renewed card): after the new card, the patron puts the old card on
the reader and enters its PIN; the old card signs the same challenge, the proof with
which the portal binds the new card to the old one's MyKey ID (:mod:`app.renewal`).

With ``--reset-password``: the card's proof asks for a one-time link to reset the My Page
password of the card's MyKey ID instead (a forgotten password is reset with the card,
never by e-mail alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

import click

from app.cli.card import check_tries, read_pin, wait_for_card
from app.cli.errors import fail, not_enrolled
from app.cli.state import CliState
from app.ports import TapError

if TYPE_CHECKING:
    from server.api.schemas import ChallengeResponse, LookupResult, RegistrationTicket


class TicketClient(Protocol):
    """What this command needs of :class:`app.client.PlatformClient`."""

    def challenge(self) -> ChallengeResponse: ...

    def lookup(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> LookupResult: ...

    def registration_ticket(
        self,
        challenge_id: str,
        certificate_der: bytes,
        signature: bytes,
        old_card: tuple[bytes, bytes] | None = None,
    ) -> RegistrationTicket: ...

    def password_reset_ticket(
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
@click.option(
    "--old-card",
    is_flag=True,
    help="A renewed card: then tap the old card too (its PIN is the next stdin line).",
)
@click.option(
    "--reset-password",
    is_flag=True,
    help="Open the portal to reset the My Page password of the card's MyKey ID.",
)
@click.pass_obj
def register(
    state: CliState,
    reader: str | None,
    pin_stdin: bool,
    allow_last_try: bool,
    wait_s: float,
    no_browser: bool,
    old_card: bool,
    reset_password: bool,
) -> None:
    """Tap a card, then open the portal to create its MyKey ID (or bind a renewed card,
    or reset its My Page password)."""
    import webbrowser

    from app.card_work import prove
    from app.renewal import RecordingChallenges, SameChallenge, wait_for_other_card
    from app.tap import CardTapper

    settings = state.settings()
    language, texts = settings.language, state.texts
    if settings.terminal_id is None:
        fail(not_enrolled(texts), language)
    if old_card and reset_password:
        raise click.UsageError("--old-card and --reset-password go separately")
    backends = state.backends
    client: TicketClient | None = None
    try:
        card_reader = wait_for_card(backends, reader or settings.reader, wait_s, texts)
        client = cast(TicketClient, backends.make_client(settings, state.home))
        tapper = CardTapper.for_settings(client, card_reader, settings)
        check_tries(tapper.probe().tries_left, allow_last_try=allow_last_try, texts=texts)
        pin = read_pin(pin_stdin, texts)
        challenges = RecordingChallenges(client)
        proof = prove(tapper.card, challenges, pin, allow_last_try=allow_last_try)
        if reset_password:
            ticket = client.password_reset_ticket(*proof)
        elif old_card and challenges.last is not None:
            click.echo(texts.tr("cli.register.old_card"), err=True)
            wait_for_other_card(tapper.card, proof.certificate, wait_s)
            check_tries(tapper.probe().tries_left, allow_last_try=allow_last_try, texts=texts)
            old_pin = read_pin(pin_stdin, texts)
            same = SameChallenge(challenges.last)
            old_proof = prove(tapper.card, same, old_pin, allow_last_try=allow_last_try)
            old = (old_proof.certificate, old_proof.signature)
            ticket = client.registration_ticket(*proof, old_card=old)
        else:
            ticket = client.registration_ticket(*proof)
    except TapError as e:
        fail(e, language)
    finally:
        if client is not None:
            client.close()
    click.echo(ticket.url)
    click.echo(texts.tr("cli.register.valid_until", until=f"{ticket.expires_at:%H:%M:%S}"),
               err=True)
    if not no_browser:
        import webbrowser  # here: its import (subprocess, shlex) is on the kiosk's path

        webbrowser.open(ticket.url)
