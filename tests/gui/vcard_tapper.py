"""The real CardTapper and JPKI driver over an in-process virtual card (honest or hostile)
and a fake platform: the kiosk's card path without pcscd."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from app.tap import CardTapper
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from server.api.schemas import ChallengeResponse, LookupResult
from tests.gui.conftest import lookup


class Slot:
    """A reader slot holding one in-process card at a time (power-up per transaction)."""

    def __init__(self, card: VirtualJpkiCard | None = None) -> None:
        self.card = card

    @contextmanager
    def open(self, reader: str | None = None) -> Iterator[Transport]:
        card = self.card
        assert card is not None, "no card in the slot"
        card.power_on()
        try:
            yield CardTransport(card)
        finally:
            card.power_off()


class CardTransport:
    """The card's ``process`` as a Transport."""

    def __init__(self, card: VirtualJpkiCard) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


class Platform:
    """The two platform calls of a tap; every lookup answers ``result``."""

    def __init__(self, result: LookupResult | None = None) -> None:
        self.result = result or lookup()
        self.lookups = 0

    def challenge(self) -> ChallengeResponse:
        return ChallengeResponse(challenge_id="ch", challenge=base64.b64encode(b"x" * 32).decode(),
                                 expires_at=dt.datetime.now(dt.UTC))

    def lookup(self, challenge_id: str, certificate_der: bytes, signature: bytes) -> LookupResult:
        self.lookups += 1
        return self.result


class RealTapper(CardTapper):
    """CardTapper with the fake tapper's test hooks (the fixture calls ``release``)."""

    def __init__(self, slot: Slot, platform: Platform) -> None:
        super().__init__(platform, "Fake Reader 00 00", open_card=slot.open)
        self.threads: set[str] = set()

    def release(self) -> None:
        """Nothing is held back here."""
