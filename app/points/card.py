"""The holder proved by the card, for a points session or a registration link.

As :meth:`app.tap.CardTapper.authenticate` does for a lookup, and with its safeguards: the
platform's challenge first (a network failure costs no PIN try), then ONE card
transaction (select, certificate, PIN, signature), then the platform call — here
``POST /v1/card-sessions`` or ``POST /v1/registration-tickets``. Blocking: the points
controller runs it on the one card thread.
"""

from __future__ import annotations

from typing import Protocol

from app.card_work import CardAccess, Proof, prove
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

    def __init__(self, client: CardProofApi, card: CardAccess) -> None:
        self.api = client
        self.card = card

    def _prove(self, pin: str, allow_last_try: bool) -> Proof:
        return prove(self.card, self.api, pin, allow_last_try=allow_last_try)

    def open_session(self, pin: str, *, allow_last_try: bool) -> CardSession:
        """Card proof → a points session at this terminal, with the visible balances."""
        return self.api.card_session(*self._prove(pin, allow_last_try))

    def registration_ticket(self, pin: str, *, allow_last_try: bool) -> RegistrationTicket:
        """Card proof → a one-time link to the portal's MyKey ID registration."""
        return self.api.registration_ticket(*self._prove(pin, allow_last_try))
