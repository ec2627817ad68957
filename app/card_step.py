"""The card step: one pure sub-machine for every flow that needs the holder's card.

    (start) READING → [CONFIRM_LAST_TRY →] PIN_ENTRY → PROVING → (the flow's answer) ended
    wrong PIN → PIN_ENTRY or CONFIRM_LAST_TRY again; no try left → Locked
    card removed, unreadable, proof refused → Failed; cancelled or left alone → Left

The lookup (:mod:`app.flow`) and every points mode (:mod:`app.points.flows`) embed one
:class:`CardStep`: they start it when a card is put down, hand it the card events
(probe answer, last-try consent, PIN, failures, removal, Cancel, its timer) and react to
what it asks for — :class:`ProbeCard`, :class:`Prove` (each flow runs its own proof: a
lookup, a points session, a registration ticket) — and to how it ended
(:class:`StepEnded`). A flow tells it that its proof succeeded with :meth:`CardStep.proved`.

Like the flows it is free of Qt and of I/O; its view never holds the PIN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.flow_common import Cancel, ScreenTimer, StartTimer, TimerFired
from app.ports import CardStatus, ErrorKind
from drivers.card.pin import PinGate, pin_gate

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
class TapFailed:
    """A probe or a proof failed. ``code`` is the platform's error code (the error body's
    ``error``), when the platform refused; flows decide by ``kind`` and ``code``, never by
    ``detail``, which is only shown."""

    kind: ErrorKind
    tries_left: int | None = None
    detail: str = ""
    code: str | None = None


#: the events a running card step takes
StepEvent = (
    CardProbed | LastTryConfirmed | PinEntered | TapFailed | CardRemovedEvent | Cancel | TimerFired
)
STEP_EVENTS = (
    CardProbed,
    LastTryConfirmed,
    PinEntered,
    TapFailed,
    CardRemovedEvent,
    Cancel,
    TimerFired,
)

# --- effects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeCard:
    """Read the card's PIN counter on the card thread; answer CardProbed or TapFailed."""


@dataclass(frozen=True)
class Prove:
    """The PIN is in: the flow runs its proof (challenge, PIN, signature, then its platform
    call) on the card thread; it answers with its own success event or TapFailed."""

    pin: str = field(repr=False)
    allow_last_try: bool


@dataclass(frozen=True)
class Locked:
    """No PIN try is left: only a municipal office can unlock the PIN."""


@dataclass(frozen=True)
class Failed:
    """The card left, could not be read, or the proof was refused."""

    failure: TapFailed


@dataclass(frozen=True)
class Left:
    """The patron cancelled, or left the PIN screens alone until their timer ran out."""

    timed_out: bool = False


CardOutcome = Locked | Failed | Left


@dataclass(frozen=True)
class StepEnded:
    """The step is over without a proof; the flow that runs it decides what follows."""

    outcome: CardOutcome


StepEffect = ProbeCard | StartTimer | Prove | StepEnded


class Phase(StrEnum):
    IDLE = "idle"  # not running (before a card, or ended)
    READING = "reading"  # the PIN counter is read
    CONFIRM_LAST_TRY = "confirm_last_try"
    PIN_ENTRY = "pin_entry"
    PROVING = "proving"  # the flow's proof is out


@dataclass(frozen=True)
class CardView:
    """What the card screens show: the tries left, a wrong PIN, the last-try consent."""

    tries_left: int | None = None
    wrong_pin: bool = False
    last_try_confirmed: bool = False


class CardStep:
    """The card part of a flow. Not thread-safe: the flow's thread (the GUI thread) only.

    ``timer`` is the flow's own :class:`ScreenTimer`: the PIN screens time out after
    ``pin_entry_s`` seconds.
    """

    def __init__(self, timer: ScreenTimer, *, pin_entry_s: float) -> None:
        self.timer = timer
        self.pin_entry_s = pin_entry_s
        self.phase = Phase.IDLE
        self.view = CardView()

    @property
    def active(self) -> bool:
        """Whether the step runs (the flow hands it the card events)."""
        return self.phase is not Phase.IDLE

    def start(self) -> list[StepEffect]:
        """A card is on the reader: read its PIN counter (this uses no try)."""
        self.timer.cancel()  # the screen before has no say any more
        self.phase = Phase.READING
        self.view = CardView()
        return [ProbeCard()]

    def proved(self) -> bool:
        """The flow's proof succeeded: True (and the step ends) if the step awaited it."""
        if self.phase is not Phase.PROVING:
            return False
        self.phase = Phase.IDLE
        return True

    def handle(self, event: StepEvent) -> list[StepEffect]:
        """Apply one event; return the effects to carry out, in order."""
        match event:
            case CardProbed(status=status):
                if self.phase is Phase.READING:
                    return self._ask_pin(status.tries_left, wrong_pin=False)
            case LastTryConfirmed():
                if self.phase is Phase.CONFIRM_LAST_TRY:
                    self.view = CardView(self.view.tries_left, self.view.wrong_pin, True)
                    self.phase = Phase.PIN_ENTRY
                    return [self.timer.start(self.pin_entry_s)]
            case PinEntered(pin=pin):
                if self.phase is Phase.PIN_ENTRY:
                    self.phase = Phase.PROVING
                    self.timer.cancel()
                    return [Prove(pin=pin, allow_last_try=self.view.last_try_confirmed)]
            case TapFailed():
                if self.phase in (Phase.READING, Phase.PROVING):
                    return self._on_failure(event)
            case CardRemovedEvent():
                # not while PROVING: once the card has signed the patron may lift it; if
                # it left too early, the proof itself fails with CARD_REMOVED
                if self.phase in (Phase.READING, Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY):
                    return self._end(Failed(TapFailed(ErrorKind.CARD_REMOVED)))
            case Cancel():
                if self.phase is not Phase.PROVING and self.active:
                    return self._end(Left())
            case TimerFired(token=token):
                if self.phase in (Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY) and self.timer.fired(
                    token
                ):
                    return self._end(Left(timed_out=True))
        return []

    def _on_failure(self, event: TapFailed) -> list[StepEffect]:
        if event.kind is ErrorKind.WRONG_PIN and event.tries_left is not None:
            # a consent counts for one try only: a later last try is asked again
            self.view = CardView(self.view.tries_left, self.view.wrong_pin, False)
            return self._ask_pin(event.tries_left, wrong_pin=True)
        if event.kind is ErrorKind.PIN_BLOCKED:
            self.view = CardView(0, self.view.wrong_pin, self.view.last_try_confirmed)
            return self._end(Locked())
        return self._end(Failed(event))

    def _ask_pin(self, tries_left: int, *, wrong_pin: bool) -> list[StepEffect]:
        consent = self.view.last_try_confirmed
        self.view = CardView(tries_left, wrong_pin, consent)
        match pin_gate(tries_left, last_try_allowed=consent):
            case PinGate.LOCKED:
                return self._end(Locked())
            case PinGate.CONFIRM:
                self.phase = Phase.CONFIRM_LAST_TRY
            case PinGate.OPEN:
                self.phase = Phase.PIN_ENTRY
        return [self.timer.start(self.pin_entry_s)]

    def _end(self, outcome: CardOutcome) -> list[StepEffect]:
        self.phase = Phase.IDLE
        if isinstance(outcome, Left):
            self.view = CardView()  # the patron is gone: nothing of the card stays shown
        return [StepEnded(outcome)]
