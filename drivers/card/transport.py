"""The lowest layer of the card stack: something that exchanges APDUs."""

from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    """Sends one command APDU and returns ``(response data, status word)``.

    Implementations raise :class:`drivers.card.errors.CardRemoved` when the card is gone.
    """

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...
