"""The counter flow as an explicit state machine, free of Qt and of I/O.

``CounterFlow.handle(event)`` moves the state and returns the effects the caller must
carry out (card work on the card thread, timers, delivery).  Screens only render
``flow.state`` / ``flow.view`` and send events back.

    IDLE → CARD_PRESENT → [CONFIRM_LAST_TRY →] PIN_ENTRY → QUERYING → RESULT → (timeout) IDLE
    any failure → ERROR or LOCKED_PIN → (timeout, card removed or dismiss) IDLE

CARD_PRESENT to QUERYING is the card step (:mod:`app.card_step`), shared with the points
modes; this flow starts it, turns its :class:`~app.card_step.Prove` into an
:class:`Authenticate` (the lookup) and shows how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.card_step import (
    STEP_EVENTS,
    CardInserted,
    CardOutcome,
    CardProbed,
    CardRemovedEvent,
    CardStep,
    CardView,
    Failed,
    LastTryConfirmed,
    Left,
    Locked,
    Phase,
    PinEntered,
    ProbeCard,
    Prove,
    StepEffect,
    StepEnded,
    TapFailed,
)
from app.flow_common import Cancel, ClearScreen, Retry, ScreenTimer, StartTimer, TimerFired
from app.ports import ErrorKind

if TYPE_CHECKING:  # the wire schema (pydantic) stays out of the kiosk's start-up
    from server.api.schemas import LookupResult

__all__ = [
    "RETRYABLE",
    "Authenticate",
    "Cancel",
    "CardInserted",
    "CardProbed",
    "CardRemovedEvent",
    "ClearScreen",
    "CounterFlow",
    "Deliver",
    "Effect",
    "Event",
    "LastTryConfirmed",
    "LookupSucceeded",
    "PinEntered",
    "ProbeCard",
    "Retry",
    "StartTimer",
    "State",
    "TapFailed",
    "Timeouts",
    "TimerFired",
    "View",
]


class State(StrEnum):
    IDLE = "idle"
    CARD_PRESENT = "card_present"
    CONFIRM_LAST_TRY = "confirm_last_try"
    PIN_ENTRY = "pin_entry"
    QUERYING = "querying"
    RESULT = "result"
    ERROR = "error"
    LOCKED_PIN = "locked_pin"


# --- events (the card step's, and these) ------------------------------------------


@dataclass(frozen=True)
class LookupSucceeded:
    result: LookupResult


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
class Authenticate:
    """Run ``Tapper.authenticate``; answer with LookupSucceeded or TapFailed."""

    pin: str = field(repr=False)
    allow_last_try: bool


@dataclass(frozen=True)
class Deliver:
    """Hand the service ID to the terminal's delivery methods."""

    result: LookupResult


Effect = ProbeCard | Authenticate | StartTimer | Deliver | ClearScreen

#: errors after which the counter offers "retry" (the card may still be on the reader)
#: a revocation status the platform cannot know now may be known after its next CRL fetch
RETRYABLE = frozenset(
    {ErrorKind.PLATFORM_UNREACHABLE, ErrorKind.PLATFORM_ERROR, ErrorKind.REVOCATION_UNKNOWN}
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds each screen stays before the counter returns to idle."""

    result_s: float = 30.0
    error_s: float = 20.0
    pin_entry_s: float = 60.0


@dataclass
class View:
    """What the current screen shows; never holds the PIN."""

    card: CardView = field(default_factory=CardView)
    result: LookupResult | None = None
    error: ErrorKind | None = None
    error_detail: str = ""


#: the lookup's state while its card step runs, per phase of the step
CARD_STATES: dict[Phase, State] = {
    Phase.READING: State.CARD_PRESENT,
    Phase.CONFIRM_LAST_TRY: State.CONFIRM_LAST_TRY,
    Phase.PIN_ENTRY: State.PIN_ENTRY,
    Phase.PROVING: State.QUERYING,
}


class CounterFlow:
    """The state machine. Not thread-safe: call it from one thread (the GUI thread)."""

    def __init__(self, timeouts: Timeouts | None = None) -> None:
        self.timeouts = timeouts or Timeouts()
        self.view = View()
        self._timer = ScreenTimer()
        self.card = CardStep(self._timer, pin_entry_s=self.timeouts.pin_entry_s)
        #: the state while no card step runs: IDLE, RESULT, ERROR or LOCKED_PIN
        self._screen = State.IDLE

    @property
    def state(self) -> State:
        return CARD_STATES[self.card.phase] if self.card.active else self._screen

    @property
    def timer_token(self) -> int:
        """The token of the screen timer that counts now (or was cancelled last)."""
        return self._timer.token

    # public ------------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return the effects to carry out, in order."""
        if isinstance(event, STEP_EVENTS) and self.card.active:
            return self._card_step(event)
        match event:
            case CardInserted():
                return self._on_inserted()
            case LookupSucceeded(result=result):
                return self._on_result(result)
            case CardRemovedEvent():
                return self._on_removed()
            case Cancel():
                return self._on_cancel()
            case Retry():
                return self._on_retry()
            case TimerFired(token=token):
                return self._on_timer(token)
            case CardProbed() | LastTryConfirmed() | PinEntered() | TapFailed():
                return []  # no card step runs: a late answer, or an intent of a past screen
        raise TypeError(f"unknown event {event!r}")

    # transitions -------------------------------------------------------------------------
    def _on_inserted(self) -> list[Effect]:
        # ERROR / LOCKED_PIN too: after "card removed" the patron puts the card back, and
        # the monitor reports no second insertion once the error screen times out.
        # RESULT too: the next patron's card replaces the previous patron's number.
        if self.card.active:
            return []
        effects: list[Effect] = [ClearScreen()] if self._screen is State.RESULT else []
        self.view = View()
        return [*effects, *self._follow(self.card.start())]

    def _card_step(self, event: Event) -> list[Effect]:
        assert isinstance(event, STEP_EVENTS)
        return self._follow(self.card.handle(event))

    def _follow(self, step_effects: list[StepEffect]) -> list[Effect]:
        """The card step's effects as this flow's: its proof is the lookup."""
        effects: list[Effect] = []
        for effect in step_effects:
            match effect:
                case Prove(pin=pin, allow_last_try=allow_last_try):
                    effects.append(Authenticate(pin=pin, allow_last_try=allow_last_try))
                case StepEnded(outcome=outcome):
                    effects += self._on_card_ended(outcome)
                case ProbeCard() | StartTimer():
                    effects.append(effect)
        self.view.card = self.card.view
        return effects

    def _on_card_ended(self, outcome: CardOutcome) -> list[Effect]:
        match outcome:
            case Locked():
                self._show(State.LOCKED_PIN)
                return [self._timer.start(self.timeouts.error_s)]
            case Failed(failure=failure):
                return self._error(failure.kind, failure.detail)
            case Left():
                return self._idle()

    def _on_result(self, result: LookupResult) -> list[Effect]:
        if not self.card.proved():
            return []
        self._show(State.RESULT)
        self.view.result = result
        return [Deliver(result), self._timer.start(self.timeouts.result_s)]

    def _on_removed(self) -> list[Effect]:
        if self._screen in (State.ERROR, State.LOCKED_PIN):
            return self._idle()
        return []  # IDLE stays; RESULT stays until its timer: the librarian still reads it

    def _on_cancel(self) -> list[Effect]:
        if self._screen is State.IDLE:
            return []
        return self._idle()

    def _on_retry(self) -> list[Effect]:
        if self._screen is not State.ERROR or self.view.error not in RETRYABLE:
            return []
        self.view = View()
        return self._follow(self.card.start())  # the error screen's timer is void now

    def _on_timer(self, token: int) -> list[Effect]:
        if not self._timer.fired(token) or self._screen is State.IDLE:
            return []
        return self._idle()

    # helpers ----------------------------------------------------------------------------
    def _show(self, state: State) -> None:
        self._screen = state
        self.view.error = None
        self.view.error_detail = ""

    def _error(self, kind: ErrorKind, detail: str = "") -> list[Effect]:
        self._show(State.ERROR)
        self.view.error = kind
        self.view.error_detail = detail
        return [self._timer.start(self.timeouts.error_s)]

    def _idle(self) -> list[Effect]:
        self._screen = State.IDLE
        self.view = View()
        self._timer.cancel()
        return [ClearScreen()]
