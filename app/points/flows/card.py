"""The points modes that need the holder's card: the card step, then a session.

    [the mode's form →] WAIT_CARD → (the card step: CARD_PRESENT → [CONFIRM_LAST_TRY →]
    PIN_ENTRY → AUTHENTICATING) → the session; a failure → ERROR / LOCKED_PIN / FAILED

One tap, one operation: a mode that moves points (pay, grant, voucher) asks for its
operation first — the amount, the grant's points and reason — and the card then signs a
challenge derived from exactly that operation (:attr:`CardFlow.operation`); the session
it opens allows that one operation once. A card already on the reader when the form is
done is used at once.

The card step (:mod:`app.card_step`) is the lookup's; its proof here is
:class:`~.events.OpenSession` (a points session, or a registration ticket).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from app.card_step import (
    STEP_EVENTS,
    CardInserted,
    CardOutcome,
    CardProbed,
    CardRemovedEvent,
    CardStep,
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
from app.flow_common import StartTimer
from app.points.errors import PointsErrorKind, kind_of
from app.points.flows.base import Effects, PointsFlow
from app.points.flows.events import OpenSession, PointsEvent, PointsTimeouts
from app.points.flows.view import Step
from server.api.schemas import CardOperation, CardSession, PointsScope

#: the points step while the card step runs, per phase of the step
CARD_STEPS: dict[Phase, Step] = {
    Phase.READING: Step.CARD_PRESENT,
    Phase.CONFIRM_LAST_TRY: Step.CONFIRM_LAST_TRY,
    Phase.PIN_ENTRY: Step.PIN_ENTRY,
    Phase.PROVING: Step.AUTHENTICATING,
}
#: refusals of the card proof that end the operation on its failure screen (the rest are
#: the lookup's error screens)
CARD_REFUSALS = frozenset({PointsErrorKind.ALREADY_REGISTERED, PointsErrorKind.MODE_NOT_ALLOWED})


class CardFlow(PointsFlow):
    """A points mode that needs the holder's card first."""

    #: the proof asks for a registration ticket instead of a points session
    ticket: ClassVar[bool] = False

    def __init__(
        self,
        scope: PointsScope | None,
        *,
        new_id: Callable[[], str],
        new_code: Callable[[], str],
        timeouts: PointsTimeouts | None = None,
    ) -> None:
        super().__init__(scope, new_id=new_id, new_code=new_code, timeouts=timeouts)
        self.card = CardStep(self.timer, pin_entry_s=self.timeouts.pin_entry_s)
        self.session: CardSession | None = None
        #: the one operation the card is to sign for (None: a registration, a link, …)
        self.operation: CardOperation | None = None
        #: whether a card lies on the reader (the monitor's last word)
        self._card_here = False

    def start(self) -> Effects:
        return self._goto_form(Step.WAIT_CARD)

    def _on(self, event: PointsEvent) -> Effects:
        if isinstance(event, CardInserted | CardRemovedEvent):
            self._card_here = isinstance(event, CardInserted)
        if isinstance(event, STEP_EVENTS) and self.card.active:
            return self._follow(self.card.handle(event))
        match event:
            case CardInserted():
                # ERROR / LOCKED_PIN too: the patron puts the card back (or another one)
                if self.step not in (Step.WAIT_CARD, Step.ERROR, Step.LOCKED_PIN):
                    return []
                return self._start_card()
            case CardRemovedEvent():
                if self.step in (Step.ERROR, Step.LOCKED_PIN):
                    return self._goto_form(Step.WAIT_CARD)
                return []
            case CardProbed() | LastTryConfirmed() | PinEntered() | TapFailed():
                return []  # no card step runs: a late answer, or an intent of a past screen
        return super()._on(event)

    def _start_card(self) -> Effects:
        """The card step, on a view that keeps the operation the form entered."""
        self.view = self._fresh_view(amount=self.view.amount, grant_form=self.view.grant_form)
        return self._follow(self.card.start())

    def _await_card(self, operation: CardOperation) -> Effects:
        """The form is done: the card, for ``operation`` (at once if it is on the reader)."""
        self.operation = operation
        if self._card_here:
            return self._start_card()
        return self._goto_form(Step.WAIT_CARD)

    def _follow(self, step_effects: list[StepEffect]) -> Effects:
        """The card step's effects as this flow's: its proof opens a session (or a ticket)."""
        if self.card.active:
            self._goto(CARD_STEPS[self.card.phase])
        effects: Effects = []
        for effect in step_effects:
            match effect:
                case Prove(pin=pin, allow_last_try=allow_last_try):
                    effects.append(self._proof(pin, allow_last_try))
                case StepEnded(outcome=outcome):
                    effects += self._on_card_ended(outcome)
                case ProbeCard() | StartTimer():
                    effects.append(effect)
        self.view.card = self.card.view
        return effects

    def _proof(self, pin: str, allow_last_try: bool) -> OpenSession:
        """What the card's proof is for: a points session, or a registration ticket."""
        return OpenSession(pin, allow_last_try, ticket=self.ticket, operation=self.operation)

    def _on_card_ended(self, outcome: CardOutcome) -> Effects:
        match outcome:
            case Locked():
                self._goto(Step.LOCKED_PIN)
                return [self._timer(self.timeouts.error_s)]
            case Failed(failure=failure):
                refusal = kind_of(failure.code)
                if failure.code is not None and refusal in CARD_REFUSALS:
                    return self._failed(refusal, failure.detail)
                return self._error(failure.kind, failure.detail)
            case Left():
                return self._close()

    def _on_session(self, session: CardSession, form: Step) -> Effects:
        """The card proved its holder: the session's balances, then the mode's ``form``."""
        if not self.card.proved():
            return []
        self.session = session
        self.view = self._fresh_view(
            balances=list(session.balances),
            amount=self.view.amount,
            grant_form=self.view.grant_form,
        )
        return self._goto_form(form)

    # hooks -------------------------------------------------------------------------------
    def _retry(self) -> Effects:
        if self.session is not None:
            return []  # the session is open: no new card proof
        return self._follow(self.card.start())

    def _cancelled(self) -> Effects:
        if self.step in (Step.ERROR, Step.LOCKED_PIN, Step.FAILED) and self.session is None:
            return self._goto_form(Step.WAIT_CARD)  # the next card, or Cancel again to leave
        return super()._cancelled()

    def _close(self) -> Effects:
        self.session = None
        return super()._close()
