"""Redeem (shop): a voucher code, typed or scanned (a QR scanner types it) → done."""

from __future__ import annotations

import re

from pydantic import BaseModel

from app.points.errors import PointsErrorKind
from app.points.flows.base import Effects, PointsFlow
from app.points.flows.events import CodeEntered, PointsEvent
from app.points.flows.view import Step
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from server.api.schemas import VOUCHER_QR_PREFIX, RedeemRequest, Redemption

_VOUCHER_CODE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def voucher_code(text: str) -> str | None:
    """The voucher code in a typed or scanned text (``MYKEYV1:<code>`` or the bare code)."""
    text = text.strip()
    if text.upper().startswith(VOUCHER_QR_PREFIX):
        text = text[len(VOUCHER_QR_PREFIX) :]
    return text if _VOUCHER_CODE.fullmatch(text) else None


class RedeemFlow(PointsFlow):
    mode = Mode.REDEEM

    def start(self) -> Effects:
        return self._goto_form(Step.CODE_ENTRY)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case CodeEntered(text=text):
                return self._on_code(text)
        return super()._on(event)

    def _on_code(self, text: str) -> Effects:
        if self.step is not Step.CODE_ENTRY:
            return []
        code = voucher_code(text)
        if code is None:
            self.view.problem = PointsErrorKind.VOUCHER_INVALID
            return [self._timer(self.timeouts.form_s)]
        self.view.problem = None
        # each code the clerk enters is a new intent: a new id
        request = RedeemRequest(id=self._new_id(), code=code)
        return self._send(make_entry(Operation.REDEEM, request))

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, Redemption):
            return None
        self.view.redemption = answer
        return self._done()

    def _declined(self, operation: Operation, kind: PointsErrorKind, detail: str) -> Effects:
        if kind is PointsErrorKind.MODE_NOT_ALLOWED:
            return super()._declined(operation, kind, detail)
        return self._problem_on(Step.CODE_ENTRY, kind, detail)  # used, expired …: another code
