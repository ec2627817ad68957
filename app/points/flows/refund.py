"""Refund (shop staff): the payment's number and the amount → done, a receipt printed."""

from __future__ import annotations

from pydantic import BaseModel

from app.points.errors import PointsErrorKind
from app.points.flows.base import Effects, PointsFlow
from app.points.flows.events import PointsEvent, PrintReceipt, Receipt, RefundEntered
from app.points.flows.view import Step
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from server.api.schemas import Refund, RefundRequest

#: refusals that leave the clerk on the form
FORM_REFUSALS = frozenset({PointsErrorKind.REFUND_TOO_LARGE, PointsErrorKind.NOT_FOUND})


class RefundFlow(PointsFlow):
    mode = Mode.REFUND

    def start(self) -> Effects:
        return self._goto_form(Step.REFUND_FORM)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case RefundEntered():
                return self._on_refund(event)
        return super()._on(event)

    def _on_refund(self, event: RefundEntered) -> Effects:
        if self.step is not Step.REFUND_FORM:
            return []
        payment_id = event.payment_id.strip()
        if not payment_id or event.amount <= 0:
            return []
        self.view.problem = None
        self.view.amount = event.amount
        request = RefundRequest(id=self._new_id(), amount=event.amount)
        return self._send(make_entry(Operation.REFUND, request, target=payment_id))

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, Refund):
            return None
        self.view.refund = answer
        receipt = Receipt(
            kind="refund",
            amount=answer.amount,
            number=answer.payment_id,
            place=self._place(),
            municipality="",
        )
        return [*self._done(), PrintReceipt(receipt)]

    def _declined(self, operation: Operation, kind: PointsErrorKind, detail: str) -> Effects:
        if kind in FORM_REFUSALS:
            return self._problem_on(Step.REFUND_FORM, kind, detail)
        return super()._declined(operation, kind, detail)
