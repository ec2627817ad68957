"""The points modes as explicit state machines, one small flow per mode, free of Qt and I/O.

One flow runs one operation at the counter, from the idle screen's mode button back to
the idle screen (:attr:`Step.CLOSED`):

- :class:`~.pay.PayFlow` (shop): card → PIN → balances → amount → held → receipt → post;
- :class:`~.redeem.RedeemFlow` (shop): voucher code (typed, or a QR scanner) → done;
- :class:`~.refund.RefundFlow` (shop staff): payment id + amount → done;
- :class:`~.grant.GrantFlow`: card → PIN → reason, points, staff → confirm → granted or
  awaiting approval; :class:`~.grant.ApprovalsFlow`: the awaiting grants, decided by others;
- :class:`~.voucher.VoucherFlow`: card → PIN → points → issued → QR printed and shown;
- :class:`~.register.RegisterFlow`: card → PIN → a one-time registration link as a QR code;
- :class:`~.link.LinkConfirmFlow` (staff): the number on the service's card → card → PIN →
  the holder's link confirmed.

The card modes embed the lookup's card step (:mod:`app.card_step`); every mode sends its
transfer requests through one :class:`~.sender.Sender` (the outbox entry, its retries with
back-off); what they share is :class:`~.base.PointsFlow`. Events and effects are in
:mod:`.events`, the step and view the screens render in :mod:`.view`.
"""

from __future__ import annotations

from collections.abc import Callable

from app.points.flows.base import PointsFlow
from app.points.flows.card import CardFlow
from app.points.flows.events import (
    AmountEntered,
    Answered,
    ApprovalsLoaded,
    CloseMode,
    CodeEntered,
    Confirm,
    Decide,
    Finish,
    ForgetSecret,
    GrantEntered,
    LinkConfirmed,
    LinkEntered,
    LoadApprovals,
    LoadFailed,
    OpenSession,
    PointsEffect,
    PointsEvent,
    PointsTimeouts,
    Printed,
    PrintFailed,
    PrintReceipt,
    Receipt,
    RefundEntered,
    Refused,
    Reprint,
    Send,
    SessionOpened,
    TicketIssued,
    Unreachable,
)
from app.points.flows.grant import ApprovalsFlow, GrantFlow
from app.points.flows.link import LinkConfirmFlow
from app.points.flows.pay import PayFlow
from app.points.flows.redeem import RedeemFlow, voucher_code
from app.points.flows.refund import RefundFlow
from app.points.flows.register import RegisterFlow
from app.points.flows.view import GrantForm, PointsView, Step, needs_approval
from app.points.flows.voucher import VoucherFlow
from app.points.mode import Mode
from server.api.schemas import PointsScope

__all__ = [
    "FLOWS",
    "AmountEntered",
    "Answered",
    "ApprovalsFlow",
    "ApprovalsLoaded",
    "CardFlow",
    "CloseMode",
    "CodeEntered",
    "Confirm",
    "Decide",
    "Finish",
    "ForgetSecret",
    "GrantEntered",
    "GrantFlow",
    "GrantForm",
    "LinkConfirmFlow",
    "LinkConfirmed",
    "LinkEntered",
    "LoadApprovals",
    "LoadFailed",
    "Mode",
    "OpenSession",
    "PayFlow",
    "PointsEffect",
    "PointsEvent",
    "PointsFlow",
    "PointsTimeouts",
    "PointsView",
    "PrintFailed",
    "PrintReceipt",
    "Printed",
    "Receipt",
    "RedeemFlow",
    "RefundEntered",
    "RefundFlow",
    "Refused",
    "RegisterFlow",
    "Reprint",
    "Send",
    "SessionOpened",
    "Step",
    "TicketIssued",
    "Unreachable",
    "VoucherFlow",
    "flow_for",
    "needs_approval",
    "voucher_code",
]

#: the flow of each mode
FLOWS: dict[Mode, type[PointsFlow]] = {
    Mode.PAY: PayFlow,
    Mode.REDEEM: RedeemFlow,
    Mode.REFUND: RefundFlow,
    Mode.GRANT: GrantFlow,
    Mode.APPROVALS: ApprovalsFlow,
    Mode.VOUCHER: VoucherFlow,
    Mode.REGISTER: RegisterFlow,
    Mode.CONFIRM_LINK: LinkConfirmFlow,
}


def flow_for(
    mode: Mode,
    scope: PointsScope | None,
    *,
    new_id: Callable[[], str],
    new_code: Callable[[], str],
    timeouts: PointsTimeouts | None = None,
) -> PointsFlow:
    """A new flow for one ``mode`` operation (call its ``start()`` for the first screen)."""
    return FLOWS[mode](scope, new_id=new_id, new_code=new_code, timeouts=timeouts)
