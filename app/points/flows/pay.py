"""Pay (shop): amount → card → PIN → the account (chosen by the clerk only when more than
one can pay it) → held → receipt printed → post (done); Cancel on the receipt, or the
receipt left alone, voids the hold. The card signs for the amount: another amount needs
another tap."""

from __future__ import annotations

from pydantic import BaseModel

from app.points.errors import PointsErrorKind
from app.points.flows.base import Effects
from app.points.flows.card import CardFlow
from app.points.flows.events import (
    AmountEntered,
    Confirm,
    PointsEvent,
    PrintReceipt,
    Receipt,
    SessionOpened,
)
from app.points.flows.view import Step
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from server.api.schemas import (
    CardOperation,
    CardSession,
    OperationKind,
    Payment,
    PaymentRequest,
    PaymentStatus,
    ResolveRequest,
)

#: refusals of a payment that leave the clerk on the amount screen
AMOUNT_REFUSALS = frozenset({PointsErrorKind.INSUFFICIENT_POINTS, PointsErrorKind.NOT_USABLE_HERE})


class PayFlow(CardFlow):
    mode = Mode.PAY

    def start(self) -> Effects:
        return self._goto_form(Step.AMOUNT)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case SessionOpened(session=session):
                return self._on_opened(session)
            case AmountEntered() if self.session is None:
                return self._on_price(event.amount)
            case AmountEntered():
                return self._on_amount(event)
            case Confirm():
                if self.step is Step.RECEIPT and self.view.payment is not None:
                    return self._resolve(Operation.PAYMENT_POST)
                return []
        return super()._on(event)

    def _on_price(self, amount: int) -> Effects:
        """The amount to pay, before the card: what the card will sign for."""
        if self.step is not Step.AMOUNT or amount <= 0:
            return []
        self.view.amount = amount
        return self._await_card(CardOperation(kind=OperationKind.PAYMENT, points=amount))

    def _on_opened(self, session: CardSession) -> Effects:
        """The holder's balances here: pay at once from the one account that can, or let
        the clerk choose among several."""
        effects = self._on_session(session, Step.AMOUNT)
        if self.session is None:
            return effects
        self.view.choose_account = True
        able = [i for i, b in enumerate(self.view.balances) if b.available >= self.view.amount]
        if len(able) == 1:
            return self._on_amount(AmountEntered(able[0], self.view.amount))
        if not able:
            self.view.problem = PointsErrorKind.INSUFFICIENT_POINTS
        else:
            self.view.selected = able[0]
        return effects

    def _on_amount(self, event: AmountEntered) -> Effects:
        if self.step is not Step.AMOUNT or self.session is None:
            return []
        self.view.problem = None
        balances = self.view.balances
        if event.amount != self.view.amount or not 0 <= event.index < len(balances):
            return []  # the card signed for this amount: another one needs another tap
        balance = balances[event.index]
        self.view.selected, self.view.amount = event.index, event.amount
        if event.amount > balance.available:
            self.view.problem = PointsErrorKind.INSUFFICIENT_POINTS
            return [self._timer(self.timeouts.form_s)]
        request = PaymentRequest(
            id=self._new_id(),
            session_id=self.session.session_id,
            municipality_code=balance.municipality_code,
            event_code=balance.event_code,
            amount=event.amount,
        )
        return self._send(make_entry(Operation.PAYMENT, request))

    def _resolve(self, operation: Operation) -> Effects:
        payment = self.view.payment
        assert payment is not None
        entry = make_entry(operation, ResolveRequest(id=self._new_id()), target=payment.id)
        return self._send(entry)

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, Payment):
            return None
        if entry.operation is Operation.PAYMENT:
            return self._on_held(answer)
        self.view.payment = answer  # posted, or voided
        self.view.voided = answer.status is PaymentStatus.VOIDED
        return self._done()

    def _on_held(self, payment: Payment) -> Effects:
        self.view.payment = payment
        self.view.printed = None
        self._goto(Step.RECEIPT)
        balance = self.view.balances[self.view.selected]
        receipt = Receipt(
            kind="payment",
            amount=payment.amount,
            number=payment.id,
            place=self._place(),
            municipality=balance.event_name or balance.municipality_name,
        )
        return [PrintReceipt(receipt), self._timer(self.timeouts.form_s)]

    def _declined(self, operation: Operation, kind: PointsErrorKind, detail: str) -> Effects:
        if operation is Operation.PAYMENT and kind in AMOUNT_REFUSALS:
            return self._problem_on(Step.AMOUNT, kind, detail)
        return super()._declined(operation, kind, detail)

    def _cancelled(self) -> Effects:
        if self.step is Step.RECEIPT and self.view.payment is not None:
            return self._resolve(Operation.PAYMENT_VOID)
        return super()._cancelled()

    def _timed_out(self) -> Effects | None:
        if self.step is Step.RECEIPT and self.view.payment is not None:
            return self._resolve(Operation.PAYMENT_VOID)  # the clerk walked away
        return None
