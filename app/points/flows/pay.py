"""Pay (shop): card → PIN → balances → amount from one account → held → receipt printed →
post (done); Cancel on the receipt, or the receipt left alone, voids the hold."""

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
from server.api.schemas import Payment, PaymentRequest, PaymentStatus, ResolveRequest

#: refusals of a payment that leave the clerk on the amount screen
AMOUNT_REFUSALS = frozenset({PointsErrorKind.INSUFFICIENT_POINTS, PointsErrorKind.NOT_USABLE_HERE})


class PayFlow(CardFlow):
    mode = Mode.PAY

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case SessionOpened(session=session):
                return self._on_session(session, Step.AMOUNT)
            case AmountEntered():
                return self._on_amount(event)
            case Confirm():
                if self.step is Step.RECEIPT and self.view.payment is not None:
                    return self._resolve(Operation.PAYMENT_POST)
                return []
        return super()._on(event)

    def _on_amount(self, event: AmountEntered) -> Effects:
        if self.step is not Step.AMOUNT or self.session is None:
            return []
        self.view.problem = None
        balances = self.view.balances
        if event.amount <= 0 or not 0 <= event.index < len(balances):
            return []
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
