"""``mykey-counter confirm-link``: staff confirm a holder's service ID at the desk.

The holder taps the My Number Card and enters the PIN (the card signs a platform
challenge, as at a lookup); staff give the number from the service's own card in hand
(the library card), typed or scanned into ``--service-id``.  The platform links and
confirms it for the card's holder (``POST /v1/link-confirmations``; the terminal needs
the ``link_confirm`` mode).  The number is asked for first, so that the card's proof is
made for this very request and not held while staff type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

import click

from app.cli.card import check_tries, read_pin, wait_for_card
from app.cli.errors import fail, not_enrolled
from app.cli.state import CliState
from app.ports import TapError

if TYPE_CHECKING:
    from server.api.schemas import ChallengeResponse, LinkConfirmResult, LookupResult


class LinkClient(Protocol):
    """What this command needs of :class:`app.client.PlatformClient`."""

    def challenge(self) -> ChallengeResponse: ...

    def lookup(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> LookupResult: ...

    def confirm_link(
        self, challenge_id: str, certificate_der: bytes, signature: bytes, service_id: str
    ) -> LinkConfirmResult: ...

    def close(self) -> None: ...


@click.command("confirm-link")
@click.option("--service-id", required=True, help="The number on the service's own card.")
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
@click.pass_obj
def confirm_link(
    state: CliState,
    service_id: str,
    reader: str | None,
    pin_stdin: bool,
    allow_last_try: bool,
    wait_s: float,
) -> None:
    """Confirm SERVICE-ID (read off the library card in hand) for the card's holder."""
    from app.tap import CardTapper

    settings = state.settings()
    language, texts = settings.language, state.texts
    if settings.terminal_id is None:
        fail(not_enrolled(texts), language)
    backends = state.backends
    client: LinkClient | None = None
    try:
        card_reader = wait_for_card(backends, reader or settings.reader, wait_s, texts)
        client = cast(LinkClient, backends.make_client(settings, state.home))
        tapper = CardTapper.for_settings(client, card_reader, settings)
        check_tries(tapper.probe().tries_left, allow_last_try=allow_last_try, texts=texts)
        pin = read_pin(pin_stdin, texts)
        proof = tapper.prove(pin, allow_last_try=allow_last_try)
        result = client.confirm_link(*proof, service_id.strip())
    except TapError as e:
        fail(e, language)
    finally:
        if client is not None:
            client.close()
    click.echo(texts.tr("cli.link.confirmed", service=result.service, service_id=result.service_id))
    if result.dropped_claims:
        click.echo(texts.tr("cli.link.dropped", count=result.dropped_claims), err=True)
