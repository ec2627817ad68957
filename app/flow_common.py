"""What every counter flow shares: the operator's intents, the screen timer, ClearScreen.

The lookup flow (:mod:`app.flow`), the card step (:mod:`app.card_step`) and the points
flows (:mod:`app.points.flows`) all speak these; none of it knows Qt or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cancel:
    """The operator (or the patron) gives up the screen on show."""


@dataclass(frozen=True)
class Retry:
    """Try again after an error that retrying can mend (the platform was away)."""


@dataclass(frozen=True)
class TimerFired:
    """The screen timer started with ``token`` ran out."""

    token: int


@dataclass(frozen=True)
class StartTimer:
    """Fire ``TimerFired(token)`` after ``seconds``; older tokens are ignored."""

    seconds: float
    token: int


@dataclass(frozen=True)
class ClearScreen:
    """Forget every personal datum on screen (service ID, barcode, balances)."""


class ScreenTimer:
    """The one timer of the screen on show, as tokens.

    Each start supersedes the timer before it (a ``TimerFired`` with an older token is
    stale), and so does :meth:`cancel`. A flow and the card step inside it share one, so
    a token is never given twice.
    """

    def __init__(self) -> None:
        #: the token of the timer that counts now (or of the last one cancelled)
        self.token = 0

    def start(self, seconds: float) -> StartTimer:
        self.token += 1
        return StartTimer(seconds=seconds, token=self.token)

    def cancel(self) -> None:
        self.token += 1

    def fired(self, token: int) -> bool:
        """Whether ``token`` is the timer that counts now."""
        return token == self.token
