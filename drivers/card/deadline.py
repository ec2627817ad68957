"""A time budget for one tap: a card that answers too slowly ends the tap with CardTooSlow."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

from drivers.card.errors import CardTooSlow
from drivers.card.transport import Transport

TAP_BUDGET_S = 20.0
"""A real card answers a whole tap (about 15 APDUs, one RSA signature) in 1–3 s."""


@runtime_checkable
class AbandonableTransport(Protocol):
    """A Transport that can give up waiting for one answer (:class:`PcscTransport`)."""

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...

    def transmit_within(self, apdu: bytes, timeout_s: float) -> tuple[bytes, int]:
        """Like ``transmit``; TimeoutError (and the connection abandoned) after ``timeout_s``."""
        ...


class DeadlineTransport:
    """A Transport that refuses to go on once ``budget_s`` has passed since it was made.

    Over an :class:`AbandonableTransport` even a card that never answers is cut off when the
    budget runs out; over any other transport the check runs around each exchange, so a
    slow card is cut off at most one answer past the budget.
    """

    def __init__(self, transport: Transport, budget_s: float = TAP_BUDGET_S) -> None:
        self._inner = transport
        self.budget_s = budget_s
        self._start = time.monotonic()

    def _elapsed_s(self) -> float:
        return time.monotonic() - self._start

    def _check(self) -> None:
        elapsed = self._elapsed_s()
        if elapsed > self.budget_s:
            raise CardTooSlow(self.budget_s, elapsed)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send ``apdu`` if time is left; CardTooSlow if the answer came (or would come) late."""
        self._check()
        inner = self._inner
        if isinstance(inner, AbandonableTransport):
            try:
                answer = inner.transmit_within(apdu, self.budget_s - self._elapsed_s())
            except TimeoutError:
                raise CardTooSlow(self.budget_s, self._elapsed_s()) from None
        else:
            answer = inner.transmit(apdu)
        self._check()
        return answer
