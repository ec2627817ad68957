"""The one request of a points flow in flight: sent, retried, matched to its answer.

Every transfer request is an :class:`~app.points.outbox.OutboxEntry` with an id made once
for its intent. Without a definite answer (:class:`~.events.Unreachable`) the SAME entry
is sent again after a back-off — never a new id for the same intent — until an answer
comes or the attempts run out (the entry then stays pending in the outbox, which sends it
again at the next start-up). Answers to any other entry, or late duplicates, are stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from app.flow_common import ScreenTimer, StartTimer
from app.points.errors import PointsErrorKind, kind_of
from app.points.flows.events import Answered, Refused, Send, Unreachable
from app.points.outbox import OutboxEntry


@dataclass(frozen=True)
class Delivered:
    """The platform's answer to ``entry``."""

    entry: OutboxEntry
    answer: BaseModel


@dataclass(frozen=True)
class Declined:
    """A definite refusal of ``entry``: ``kind`` from the platform's error code."""

    entry: OutboxEntry
    kind: PointsErrorKind
    detail: str


@dataclass(frozen=True)
class BackOff:
    """No answer yet: ``timer`` runs until the entry is sent again."""

    timer: StartTimer


@dataclass(frozen=True)
class GaveUp:
    """No answer after the last attempt; the entry stays pending in the outbox."""

    entry: OutboxEntry
    detail: str


Reply = Delivered | Declined | BackOff | GaveUp


class Sender:
    """Sends one entry at a time on the flow's ``timer`` (the back-off is a screen timer)."""

    def __init__(self, timer: ScreenTimer, *, retry_s: tuple[float, ...], max_attempts: int):
        self.timer = timer
        self.retry_s = retry_s
        self.max_attempts = max_attempts
        #: the request in flight (or waiting for its retry)
        self.outgoing: OutboxEntry | None = None
        #: attempts without a definite answer so far
        self.attempts = 0
        #: the back-off timer runs: the entry is not out right now
        self.waiting = False

    def send(self, entry: OutboxEntry) -> Send:
        """A new intent: its first attempt (the screen's timer stops meanwhile)."""
        self.outgoing, self.attempts, self.waiting = entry, 0, False
        self.timer.cancel()
        return Send(entry)

    def reply(self, event: Answered | Refused | Unreachable) -> Reply | None:
        """What ``event`` means for the entry in flight; None if it is stale."""
        entry = self.outgoing
        if entry is None or event.entry_id != entry.id:
            return None
        match event:
            case Unreachable(detail=detail):
                if self.waiting:
                    return None  # a late duplicate of the attempt before
                self.attempts += 1
                if self.attempts >= self.max_attempts:
                    self.outgoing = None
                    return GaveUp(entry, detail)
                self.waiting = True
                delay = self.retry_s[min(self.attempts, len(self.retry_s)) - 1]
                return BackOff(self.timer.start(delay))
            case Refused(code=code, detail=detail):
                self._settled()
                return Declined(entry, kind_of(code), detail)
            case Answered(answer=answer):
                self._settled()
                return Delivered(entry, answer)
        return None

    def resend(self, token: int) -> Send | None:
        """The back-off timer ``token`` ran out: the same entry again (None: stale)."""
        if not self.waiting or self.outgoing is None or not self.timer.fired(token):
            return None
        self.waiting = False
        return Send(self.outgoing)

    def _settled(self) -> None:
        self.outgoing, self.waiting = None, False
