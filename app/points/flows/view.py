"""What a points operation shows: its :class:`Step` (one screen each) and its view.

The points screens render from ``(step, view)`` alone, as the lookup screens render from
``(state, view)``: they never reach into a flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.card_step import CardView
from app.points.errors import PointsErrorKind
from app.points.mode import Mode
from app.points.outbox import Operation
from app.ports import ErrorKind
from server.api.schemas import (
    Grant,
    GrantReason,
    LinkConfirmResult,
    Payment,
    PointBalance,
    Redemption,
    Refund,
    RegistrationTicket,
    VoucherInfo,
)


class Step(StrEnum):
    WAIT_CARD = "wait_card"
    CARD_PRESENT = "card_present"
    CONFIRM_LAST_TRY = "confirm_last_try"
    PIN_ENTRY = "pin_entry"
    AUTHENTICATING = "authenticating"
    AMOUNT = "amount"  # pay: the amount, then (after the tap) the account; voucher: points
    GRANT_FORM = "grant_form"
    GRANT_CONFIRM = "grant_confirm"
    CODE_ENTRY = "code_entry"
    REFUND_FORM = "refund_form"
    APPROVALS = "approvals"
    LOADING = "loading"  # the awaiting grants are being fetched
    SENDING = "sending"
    RETRYING = "retrying"
    RECEIPT = "receipt"  # pay: held, receipt printed; confirm (post) or cancel (void)
    PRINTING = "printing"  # voucher: printed before it is shown as done
    DONE = "done"
    TICKET = "ticket"
    LINK_ENTRY = "link_entry"  # confirm link: the number from the service's own card
    FAILED = "failed"  # a points error: the message and "back"
    ERROR = "error"  # a card or platform error: the lookup's error screen
    LOCKED_PIN = "locked_pin"
    CLOSED = "closed"


def needs_approval(approval_over: int | None, points: int) -> bool:
    """Whether a grant of ``points`` waits for a second staff member (the municipality's
    ``grant_approval_over``; None: never)."""
    return approval_over is not None and points > approval_over


@dataclass(frozen=True)
class GrantForm:
    """The grant as entered, before it is confirmed."""

    reason: GrantReason
    points: int
    staff_login: str
    #: the staff code, kept in memory until the grant is sent (never stored or logged)
    staff_code: str = field(repr=False)
    note: str | None = None


@dataclass
class PointsView:
    """What the current screen shows; never holds the PIN."""

    #: the operation (the screens' titles and summaries)
    mode: Mode
    #: the municipality's approval limit for grants (None: none, or not a grant terminal)
    approval_over: int | None = None
    #: the card step's screens
    card: CardView = field(default_factory=CardView)
    error: ErrorKind | None = None
    error_detail: str = ""
    # the operation
    balances: list[PointBalance] = field(default_factory=list)
    selected: int = 0
    #: the amount (pay) or points (voucher) the card signs for, entered before the tap
    amount: int = 0
    #: pay, after the tap: the clerk picks the account for :attr:`amount`
    choose_account: bool = False
    payment: Payment | None = None
    refund: Refund | None = None
    grant_form: GrantForm | None = None
    grant: Grant | None = None
    approvals: list[Grant] = field(default_factory=list)
    voucher: VoucherInfo | None = None
    voucher_qr: str | None = field(default=None, repr=False)
    redemption: Redemption | None = None
    ticket: RegistrationTicket | None = None
    #: confirm link: the number staff entered, then the platform's answer
    link_service_id: str = ""
    link_result: LinkConfirmResult | None = None
    #: a refusal shown on the current form (or on FAILED)
    problem: PointsErrorKind | None = None
    problem_detail: str = ""
    #: the request being sent (SENDING / RETRYING) and its attempts so far
    sending: Operation | None = None
    attempts: int = 0
    #: receipt or voucher printing: None (not yet), True, or False with print_error
    printed: bool | None = None
    print_error: str = ""
    #: the payment was voided (cancelled)
    voided: bool = False
    #: approvals: the last decision taken
    decided: Grant | None = None

    def needs_approval(self, points: int) -> bool:
        """Whether a grant of ``points`` waits for a second staff member."""
        return needs_approval(self.approval_over, points)
