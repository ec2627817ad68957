"""What every points mode's flow shares: its step, view and timer, sending, printing and
leaving.

A mode's flow (:mod:`app.points.flows`) extends :meth:`PointsFlow._on` with its own
events and fills in the hooks: what an answer or a refusal of its requests means
(:meth:`_delivered`, :meth:`_declined`), what Retry, Cancel and a timer do on its
screens. The rest — the request in flight and its retries (:class:`~.sender.Sender`), the
result, error and failure screens, closing — is written here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel

from app.flow import RETRYABLE
from app.flow_common import Cancel, ClearScreen, Retry, ScreenTimer, StartTimer, TimerFired
from app.points.errors import PointsErrorKind
from app.points.flows.events import (
    POINTS_EVENTS,
    Answered,
    CloseMode,
    Finish,
    PointsEffect,
    PointsEvent,
    PointsTimeouts,
    Printed,
    PrintFailed,
    Refused,
    Unreachable,
)
from app.points.flows.sender import BackOff, Declined, Delivered, GaveUp, Sender
from app.points.flows.view import PointsView, Step
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry
from app.ports import ErrorKind
from server.api.schemas import PointsScope

Effects = list[PointsEffect]
#: steps that wait for the card lane: no timer ends them, Cancel does not either
BUSY = frozenset({Step.SENDING, Step.RETRYING, Step.AUTHENTICATING, Step.LOADING})


class PointsFlow:
    """One points operation. Not thread-safe: call it from the GUI thread.

    ``new_id`` makes transfer ids (a UUID string), ``new_code`` voucher secrets.
    """

    mode: ClassVar[Mode]

    def __init__(
        self,
        scope: PointsScope | None,
        *,
        new_id: Callable[[], str],
        new_code: Callable[[], str],
        timeouts: PointsTimeouts | None = None,
    ) -> None:
        self.scope = scope
        self.timeouts = timeouts or PointsTimeouts()
        self._new_id = new_id
        self._new_code = new_code
        self.step = Step.CLOSED
        self.timer = ScreenTimer()
        self.sender = Sender(
            self.timer, retry_s=self.timeouts.retry_s, max_attempts=self.timeouts.max_attempts
        )
        self.view = self._fresh_view()

    # public ------------------------------------------------------------------------------
    def start(self) -> Effects:
        """The operation's first screen."""
        raise NotImplementedError

    def handle(self, event: PointsEvent) -> Effects:
        """Apply one event; return the effects to carry out, in order."""
        if not isinstance(event, POINTS_EVENTS):
            raise TypeError(f"unknown event {event!r}")
        if self.step is Step.CLOSED:
            return []
        return self._on(event)

    @property
    def outgoing(self) -> OutboxEntry | None:
        """The request in flight (or waiting for its retry)."""
        return self.sender.outgoing

    @property
    def timer_token(self) -> int:
        """The token of the screen timer that counts now (or was cancelled last)."""
        return self.timer.token

    # events ------------------------------------------------------------------------------
    def _on(self, event: PointsEvent) -> Effects:
        """The events every mode treats alike; a mode's flow handles its own first."""
        match event:
            case Answered() | Refused() | Unreachable():
                return self._on_reply(event)
            case Printed():
                return self._on_printed()
            case PrintFailed(detail=detail):
                return self._on_print_failed(detail)
            case Cancel():
                return [] if self.step in BUSY else self._cancelled()
            case Retry():
                if self.step is not Step.ERROR or self.view.error not in RETRYABLE:
                    return []
                return self._retry()
            case Finish():
                if self.step in (Step.DONE, Step.TICKET, Step.FAILED):
                    return self._close()
            case TimerFired(token=token):
                return self._on_timer(token)
        return []  # another mode's event, or an intent of a screen no longer shown

    def _on_timer(self, token: int) -> Effects:
        if not self.timer.fired(token):
            return []
        if self.step is Step.RETRYING:
            send = self.sender.resend(token)
            if send is not None:
                self._goto(Step.SENDING)
                return [send]
        timed_out = self._timed_out()
        if timed_out is not None:
            return timed_out
        if self.step in (*BUSY, Step.PRINTING):
            return []
        return self._close()

    # hooks of the modes ----------------------------------------------------------------------
    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        """The answer to one of this mode's requests; None: not an answer it expects."""
        return None

    def _declined(self, operation: Operation, kind: PointsErrorKind, detail: str) -> Effects:
        """A refusal of one of this mode's requests: by default the failure screen."""
        return self._failed(kind, detail)

    def _retry(self) -> Effects:
        """Retry on the error screen (the platform was away)."""
        return []

    def _cancelled(self) -> Effects:
        """Cancel on a screen that waits for the operator."""
        return self._close()

    def _timed_out(self) -> Effects | None:
        """The screen's timer ran out; None: close (unless the card lane is awaited)."""
        return None

    def _printed(self) -> Effects:
        """The receipt or voucher came out of the printer."""
        return []

    # sending -----------------------------------------------------------------------------
    def _send(self, entry: OutboxEntry) -> Effects:
        self.view.sending = entry.operation
        self.view.attempts = 0
        self._goto(Step.SENDING)
        return [self.sender.send(entry)]

    def _on_reply(self, event: Answered | Refused | Unreachable) -> Effects:
        if self.step not in (Step.SENDING, Step.RETRYING):
            return []
        match self.sender.reply(event):
            case BackOff(timer=timer):
                self.view.attempts = self.sender.attempts
                self._goto(Step.RETRYING)
                return [timer]
            case GaveUp(detail=detail):
                self.view.attempts = self.sender.attempts
                return self._error(ErrorKind.PLATFORM_UNREACHABLE, detail)
            case Declined(entry=entry, kind=kind, detail=detail):
                self.view.sending = None
                return self._declined(entry.operation, kind, detail)
            case Delivered(entry=entry, answer=answer):
                self.view.sending = None
                effects = self._delivered(entry, answer)
                if effects is None:
                    return self._error(
                        ErrorKind.PLATFORM_ERROR, f"unexpected answer to {entry.operation}"
                    )
                return effects
        return []

    # printing ----------------------------------------------------------------------------
    def _on_printed(self) -> Effects:
        if self.step not in (Step.RECEIPT, Step.PRINTING, Step.DONE):
            return []
        self.view.printed, self.view.print_error = True, ""
        return self._printed()

    def _on_print_failed(self, detail: str) -> Effects:
        if self.step not in (Step.RECEIPT, Step.PRINTING, Step.DONE):
            return []
        self.view.printed, self.view.print_error = False, detail
        if self.step is Step.PRINTING:
            return self._done()  # the QR on the screen; the code stays for a reprint
        return []

    def _place(self) -> str:
        """Where the receipt is printed: the shop, or the municipality."""
        scope = self.scope
        if scope is None:
            return ""
        return scope.shop_name or scope.municipality_name or ""

    # screens -----------------------------------------------------------------------------
    def _fresh_view(self, **fields: object) -> PointsView:
        limit = self.scope.grant_approval_over if self.scope is not None else None
        return PointsView(mode=self.mode, approval_over=limit, **fields)  # type: ignore[arg-type]

    def _goto(self, step: Step) -> None:
        if step is not Step.ERROR:
            self.view.error = None
            self.view.error_detail = ""
        self.step = step

    def _goto_form(self, step: Step) -> Effects:
        self._goto(step)
        self.view.problem, self.view.problem_detail = None, ""
        return [self._timer(self.timeouts.form_s)]

    def _problem_on(self, step: Step, kind: PointsErrorKind, detail: str) -> Effects:
        effects = self._goto_form(step)
        self.view.problem, self.view.problem_detail = kind, detail
        return effects

    def _done(self) -> Effects:
        self._goto(Step.DONE)
        return [self._timer(self.timeouts.result_s)]

    def _error(self, kind: ErrorKind, detail: str = "") -> Effects:
        self._goto(Step.ERROR)
        self.view.error, self.view.error_detail = kind, detail
        return [self._timer(self.timeouts.error_s)]

    def _failed(self, kind: PointsErrorKind, detail: str) -> Effects:
        self._goto(Step.FAILED)
        self.view.problem, self.view.problem_detail = kind, detail
        return [self._timer(self.timeouts.error_s)]

    def _close(self) -> Effects:
        self.timer.cancel()
        self.step = Step.CLOSED
        self.view = self._fresh_view()
        return [ClearScreen(), CloseMode()]

    def _timer(self, seconds: float) -> StartTimer:
        return self.timer.start(seconds)
