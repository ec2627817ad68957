"""The holder proved by the card, for a points session or a registration link.

As :meth:`app.tap.CardTapper.authenticate` does for a lookup, and with its safeguards: the
platform's challenge first (a network failure costs no PIN try), then ONE card
transaction (select, certificate, PIN, signature), then the platform call — here
``POST /v1/card-sessions`` or ``POST /v1/registration-tickets``. Blocking: the points
controller runs it on the one card thread.
"""

from __future__ import annotations

from typing import Protocol

from app.ports import ErrorKind, TapError
from app.tap import OpenCard, _card_errors, _challenge_bytes, _check_pin
from drivers.card.errors import PinFormatError
from drivers.card.jpki import JpkiSession, digest_info_sha256
from drivers.card.pcsc import open_card as pcsc_open_card
from server.api.schemas import CardSession, ChallengeResponse, RegistrationTicket


class CardProofApi(Protocol):
    """The calls of :class:`app.client.PlatformClient` a card proof needs."""

    def challenge(self) -> ChallengeResponse: ...

    def card_session(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> CardSession: ...

    def registration_ticket(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> RegistrationTicket: ...


class CardProver:
    """The tapper's card proof, leading to a points session (or a registration link)."""

    def __init__(
        self,
        client: CardProofApi,
        reader: str | None = None,
        *,
        open_card: OpenCard | None = None,
    ) -> None:
        self.api = client
        self.reader = reader
        self._open_card = open_card if open_card is not None else pcsc_open_card

    def _prove(self, pin: str, allow_last_try: bool) -> tuple[str, bytes, bytes]:
        """The challenge id, the certificate and the card's signature over the challenge."""
        _check_pin(pin)
        challenge = self.api.challenge()
        raw = _challenge_bytes(challenge)
        with _card_errors(), self._open_card(self.reader) as transport:
            session = JpkiSession(transport)
            session.select_jpki()
            certificate = session.read_auth_certificate()
            try:
                session.verify_pin(pin, allow_last_try=allow_last_try)
            except PinFormatError as e:
                raise TapError(ErrorKind.WRONG_PIN, str(e)) from e
            signature = session.sign(digest_info_sha256(raw))
        return challenge.challenge_id, certificate, signature

    def open_session(self, pin: str, *, allow_last_try: bool) -> CardSession:
        """Card proof → a points session at this terminal, with the visible balances."""
        return self.api.card_session(*self._prove(pin, allow_last_try))

    def registration_ticket(self, pin: str, *, allow_last_try: bool) -> RegistrationTicket:
        """Card proof → a one-time link to the portal's MyKey ID registration."""
        return self.api.registration_ticket(*self._prove(pin, allow_last_try))
