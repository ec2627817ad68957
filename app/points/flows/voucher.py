"""Voucher: points → card (it signs for them) → PIN → issued → printed (with its QR code)
→ done. The voucher's secret code leaves the outbox once the voucher is printed; until then
a failed print can be repeated."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from app.points.flows.base import Effects
from app.points.flows.card import CardFlow
from app.points.flows.events import (
    AmountEntered,
    ForgetSecret,
    PointsEvent,
    PointsTimeouts,
    PrintReceipt,
    Receipt,
    Reprint,
    SessionOpened,
)
from app.points.flows.view import Step
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from server.api.schemas import (
    VOUCHER_QR_PREFIX,
    CardOperation,
    OperationKind,
    PointsScope,
    VoucherInfo,
    VoucherRequest,
)


class VoucherFlow(CardFlow):
    mode = Mode.VOUCHER

    def __init__(
        self,
        scope: PointsScope | None,
        *,
        new_id: Callable[[], str],
        new_code: Callable[[], str],
        timeouts: PointsTimeouts | None = None,
    ) -> None:
        super().__init__(scope, new_id=new_id, new_code=new_code, timeouts=timeouts)
        #: the issued voucher's outbox entry while it holds the secret code
        self._secret_entry: str | None = None

    def start(self) -> Effects:
        return self._goto_form(Step.AMOUNT)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case SessionOpened(session=session):
                self._on_session(session, Step.AMOUNT)
                return self._issue() if self.session is not None else []
            case AmountEntered(amount=amount):
                return self._on_points(amount)
            case Reprint():
                return self._on_reprint()
        return super()._on(event)

    def _on_points(self, points: int) -> Effects:
        """The voucher's points, before the card: what the card will sign for."""
        if self.step is not Step.AMOUNT or self.session is not None or points <= 0:
            return []
        self.view.amount = points
        return self._await_card(CardOperation(kind=OperationKind.VOUCHER, points=points))

    def _issue(self) -> Effects:
        assert self.session is not None
        points = self.view.amount
        code = self._new_code()
        request = VoucherRequest(
            id=self._new_id(), session_id=self.session.session_id, points=points, code=code
        )
        self.view.voucher_qr = VOUCHER_QR_PREFIX + code
        return self._send(make_entry(Operation.VOUCHER, request))

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, VoucherInfo):
            return None
        self.view.voucher = answer
        self.view.printed = None
        self._secret_entry = entry.id
        self._goto(Step.PRINTING)
        return [PrintReceipt(self._receipt(answer))]

    def _receipt(self, voucher: VoucherInfo) -> Receipt:
        return Receipt(
            kind="voucher",
            amount=voucher.amount,
            number=voucher.number,
            place=self._place(),
            municipality=voucher.municipality_name,
            valid_until=voucher.valid_until.date().isoformat(),
            qr=self.view.voucher_qr,
        )

    def _printed(self) -> Effects:
        if self._secret_entry is None:
            return []
        entry_id, self._secret_entry = self._secret_entry, None
        effects: Effects = [ForgetSecret(entry_id)]
        if self.step is Step.PRINTING:
            effects += self._done()
        return effects

    def _on_reprint(self) -> Effects:
        voucher = self.view.voucher
        if self.step is not Step.DONE or voucher is None or self._secret_entry is None:
            return []
        self.view.printed, self.view.print_error = None, ""
        return [PrintReceipt(self._receipt(voucher))]
