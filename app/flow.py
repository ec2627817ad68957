"""The counter flow as an explicit state machine, free of Qt and of I/O.

``CounterFlow.handle(event)`` moves the state and returns the effects the caller must
carry out (card work on the card thread, timers, delivery).  Screens only render
``flow.state`` / ``flow.view`` and send events back.

    IDLE → CARD_PRESENT → [CONFIRM_LAST_TRY →] PIN_ENTRY → QUERYING → RESULT → (timeout) IDLE
    any failure → ERROR or LOCKED_PIN → (timeout, card removed or dismiss) IDLE
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.ports import CardStatus, ErrorKind

if TYPE_CHECKING:  # the wire schema (pydantic) stays out of the kiosk's start-up
    from server.api.schemas import LookupResult


class State(StrEnum):
    IDLE = "idle"
    CARD_PRESENT = "card_present"
    CONFIRM_LAST_TRY = "confirm_last_try"
    PIN_ENTRY = "pin_entry"
    QUERYING = "querying"
    RESULT = "result"
    ERROR = "error"
    LOCKED_PIN = "locked_pin"


# --- events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CardInserted:
    pass


@dataclass(frozen=True)
class CardRemovedEvent:
    pass


@dataclass(frozen=True)
class CardProbed:
    status: CardStatus


@dataclass(frozen=True)
class LastTryConfirmed:
    pass


@dataclass(frozen=True)
class PinEntered:
    pin: str = field(repr=False)


@dataclass(frozen=True)
class LookupSucceeded:
    result: LookupResult


@dataclass(frozen=True)
class TapFailed:
    kind: ErrorKind
    tries_left: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Retry:
    pass


@dataclass(frozen=True)
class TimerFired:
    token: int


Event = (
    CardInserted
    | CardRemovedEvent
    | CardProbed
    | LastTryConfirmed
    | PinEntered
    | LookupSucceeded
    | TapFailed
    | Cancel
    | Retry
    | TimerFired
)

# --- effects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeCard:
    """Run ``Tapper.probe`` on the card thread; answer with CardProbed or TapFailed."""


@dataclass(frozen=True)
class Authenticate:
    """Run ``Tapper.authenticate``; answer with LookupSucceeded or TapFailed."""

    pin: str = field(repr=False)
    allow_last_try: bool


@dataclass(frozen=True)
class StartTimer:
    """Fire ``TimerFired(token)`` after ``seconds``; older tokens are ignored."""

    seconds: float
    token: int


@dataclass(frozen=True)
class Deliver:
    """Hand the service ID to the terminal's delivery methods."""

    result: LookupResult


@dataclass(frozen=True)
class ClearScreen:
    """Forget every personal datum on screen (service ID, barcode)."""


Effect = ProbeCard | Authenticate | StartTimer | Deliver | ClearScreen

#: errors after which the counter offers "retry" (the card may still be on the reader)
RETRYABLE = frozenset({ErrorKind.PLATFORM_UNREACHABLE, ErrorKind.PLATFORM_ERROR})


@dataclass(frozen=True)
class Timeouts:
    """Seconds each screen stays before the counter returns to idle."""

    result_s: float = 30.0
    error_s: float = 20.0
    pin_entry_s: float = 60.0


@dataclass
class View:
    """What the current screen shows; never holds the PIN."""

    tries_left: int | None = None
    result: LookupResult | None = None
    error: ErrorKind | None = None
    error_detail: str = ""
    last_try_confirmed: bool = False
    wrong_pin: bool = False


class CounterFlow:
    """The state machine. Not thread-safe: call it from one thread (the GUI thread)."""

    def __init__(self, timeouts: Timeouts | None = None) -> None:
        self.timeouts = timeouts or Timeouts()
        self.state = State.IDLE
        self.view = View()
        self._timer_token = 0

    # public ------------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return the effects to carry out, in order."""
        match event:
            case CardInserted():
                return self._on_inserted()
            case CardRemovedEvent():
                return self._on_removed()
            case CardProbed(status=status):
                return self._on_probed(status)
            case LastTryConfirmed():
                return self._on_last_try_confirmed()
            case PinEntered(pin=pin):
                return self._on_pin(pin)
            case LookupSucceeded(result=result):
                return self._on_result(result)
            case TapFailed():
                return self._on_failure(event)
            case Cancel():
                return self._on_cancel()
            case Retry():
                return self._on_retry()
            case TimerFired(token=token):
                return self._on_timer(token)
        raise TypeError(f"unknown event {event!r}")

    # transitions -------------------------------------------------------------------------
    def _on_inserted(self) -> list[Effect]:
        # ERROR / LOCKED_PIN too: after "card removed" the patron puts the card back, and
        # the monitor reports no second insertion once the error screen times out.
        # RESULT too: the next patron's card replaces the previous patron's number.
        if self.state not in (State.IDLE, State.ERROR, State.LOCKED_PIN, State.RESULT):
            return []
        effects: list[Effect] = [ClearScreen()] if self.state is State.RESULT else []
        self._timer_token += 1  # cancels the previous screen's timer
        self._goto(State.CARD_PRESENT)
        return [*effects, ProbeCard()]

    def _on_removed(self) -> list[Effect]:
        # QUERYING is not here: once the card has signed, the patron may lift it; if it left
        # too early, the tapper itself reports CARD_REMOVED.
        if self.state in (State.CARD_PRESENT, State.CONFIRM_LAST_TRY, State.PIN_ENTRY):
            return self._error(ErrorKind.CARD_REMOVED)
        if self.state in (State.ERROR, State.LOCKED_PIN):
            return self._idle()
        return []  # IDLE stays; RESULT stays until its timer: the librarian still reads it

    def _on_probed(self, status: CardStatus) -> list[Effect]:
        if self.state is not State.CARD_PRESENT:
            return []
        return self._ask_pin(status.tries_left, wrong_pin=False)

    def _ask_pin(self, tries_left: int, *, wrong_pin: bool) -> list[Effect]:
        self.view.tries_left = tries_left
        self.view.wrong_pin = wrong_pin
        if tries_left <= 0:
            self._goto(State.LOCKED_PIN)
            return [self._timer(self.timeouts.error_s)]
        if tries_left == 1 and not self.view.last_try_confirmed:
            self._goto(State.CONFIRM_LAST_TRY)
        else:
            self._goto(State.PIN_ENTRY)
        return [self._timer(self.timeouts.pin_entry_s)]

    def _on_last_try_confirmed(self) -> list[Effect]:
        if self.state is not State.CONFIRM_LAST_TRY:
            return []
        self.view.last_try_confirmed = True
        self._goto(State.PIN_ENTRY)
        return [self._timer(self.timeouts.pin_entry_s)]

    def _on_pin(self, pin: str) -> list[Effect]:
        if self.state is not State.PIN_ENTRY:
            return []
        self._goto(State.QUERYING)
        self._timer_token += 1  # cancels the PIN-entry timer
        return [Authenticate(pin=pin, allow_last_try=self.view.last_try_confirmed)]

    def _on_result(self, result: LookupResult) -> list[Effect]:
        if self.state is not State.QUERYING:
            return []
        self._goto(State.RESULT)
        self.view.result = result
        return [Deliver(result), self._timer(self.timeouts.result_s)]

    def _on_failure(self, event: TapFailed) -> list[Effect]:
        if self.state not in (State.CARD_PRESENT, State.QUERYING):
            return []
        if event.kind is ErrorKind.WRONG_PIN and event.tries_left is not None:
            self.view.last_try_confirmed = False
            return self._ask_pin(event.tries_left, wrong_pin=True)
        if event.kind is ErrorKind.PIN_BLOCKED:
            self.view.tries_left = 0
            self._goto(State.LOCKED_PIN)
            return [self._timer(self.timeouts.error_s)]
        return self._error(event.kind, event.detail)

    def _on_cancel(self) -> list[Effect]:
        if self.state is State.IDLE or self.state is State.QUERYING:
            return []
        return self._idle()

    def _on_retry(self) -> list[Effect]:
        if self.state is not State.ERROR or self.view.error not in RETRYABLE:
            return []
        self._timer_token += 1  # the error screen's timer must not fire during the probe
        self._goto(State.CARD_PRESENT)
        return [ProbeCard()]

    def _on_timer(self, token: int) -> list[Effect]:
        if token != self._timer_token or self.state in (State.IDLE, State.QUERYING):
            return []
        return self._idle()

    # helpers ----------------------------------------------------------------------------
    def _goto(self, state: State) -> None:
        if state in (State.IDLE, State.CARD_PRESENT):
            self.view = View()
        else:
            self.view.error = None
            self.view.error_detail = ""
        self.state = state

    def _error(self, kind: ErrorKind, detail: str = "") -> list[Effect]:
        self._goto(State.ERROR)
        self.view.error = kind
        self.view.error_detail = detail
        return [self._timer(self.timeouts.error_s)]

    def _idle(self) -> list[Effect]:
        self._goto(State.IDLE)
        self._timer_token += 1
        return [ClearScreen()]

    def _timer(self, seconds: float) -> StartTimer:
        self._timer_token += 1
        return StartTimer(seconds=seconds, token=self._timer_token)
