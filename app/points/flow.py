"""The points modes as explicit state machines, free of Qt and of I/O.

One :class:`PointsFlow` runs one operation at the counter, from the idle screen's mode
button back to the idle screen (:attr:`Step.CLOSED`):

- ``pay`` (shop): card → PIN → balances → amount (choose the account) → holding →
  receipt (printed) → post → done; cancel at the amount or the receipt voids the hold;
- ``redeem`` (shop): voucher code (typed, or a QR scanner as a keyboard wedge) → done;
- ``refund`` (shop staff): payment id + amount → done;
- ``grant``: card → PIN → reason, points, staff name → confirm → granted or awaiting
  approval;  ``approvals``: the awaiting grants, approved or rejected by other staff;
- ``voucher``: card → PIN → points → issue → QR on screen and printed;
- ``register``: card → PIN → a one-time registration link as a QR code.

The card part reuses the lookup flow's events (:mod:`app.flow`: CardInserted, PinEntered,
TapFailed …) and its screens. Every transfer request is an :class:`OutboxEntry` with a
fresh id sent by the :class:`Send` effect; without a definite answer the same entry is
sent again after a back-off (:attr:`Step.RETRYING`), never a new id for the same intent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from app.flow import (
    Cancel,
    CardInserted,
    CardProbed,
    CardRemovedEvent,
    ClearScreen,
    LastTryConfirmed,
    PinEntered,
    ProbeCard,
    Retry,
    StartTimer,
    TapFailed,
    TimerFired,
)
from app.points.errors import PointsErrorKind, kind_of
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from app.ports import ErrorKind
from server.api.schemas import (
    VOUCHER_QR_PREFIX,
    ApprovalRequest,
    CardSession,
    Grant,
    GrantReason,
    GrantRequestBody,
    Payment,
    PaymentRequest,
    PaymentStatus,
    PointBalance,
    PointsScope,
    RedeemRequest,
    Redemption,
    Refund,
    RefundRequest,
    RegistrationTicket,
    ResolveRequest,
    VoucherInfo,
    VoucherRequest,
)

#: operations that start with the holder's card
CARD_MODES = frozenset({Mode.PAY, Mode.GRANT, Mode.VOUCHER, Mode.REGISTER})


class Step(StrEnum):
    WAIT_CARD = "wait_card"
    CARD_PRESENT = "card_present"
    CONFIRM_LAST_TRY = "confirm_last_try"
    PIN_ENTRY = "pin_entry"
    AUTHENTICATING = "authenticating"
    AMOUNT = "amount"  # pay: balances, account and amount; voucher: points
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
    FAILED = "failed"  # a points error: the message and "back"
    ERROR = "error"  # a card or platform error: the lookup's error screen
    LOCKED_PIN = "locked_pin"
    CLOSED = "closed"


#: steps whose card answer the controller awaits
CARD_WORK = frozenset({Step.CARD_PRESENT, Step.AUTHENTICATING})
#: steps that wait for the holder's card (a removal ends them)
CARD_NEEDED = frozenset({Step.CARD_PRESENT, Step.CONFIRM_LAST_TRY, Step.PIN_ENTRY})

# --- events (besides app.flow's card events) ---------------------------------------------


@dataclass(frozen=True)
class SessionOpened:
    session: CardSession


@dataclass(frozen=True)
class TicketIssued:
    ticket: RegistrationTicket


@dataclass(frozen=True)
class Answered:
    entry_id: str
    answer: BaseModel


@dataclass(frozen=True)
class Refused:
    entry_id: str
    code: str | None
    detail: str = ""


@dataclass(frozen=True)
class Unreachable:
    entry_id: str
    detail: str = ""


@dataclass(frozen=True)
class AmountEntered:
    """pay: the account (index into the balances) and amount; voucher: the points."""

    index: int
    amount: int


@dataclass(frozen=True)
class GrantEntered:
    reason: GrantReason
    points: int
    staff: str
    note: str | None = None


@dataclass(frozen=True)
class Confirm:
    """Grant: confirm the form; pay: post the held payment."""


@dataclass(frozen=True)
class CodeEntered:
    text: str


@dataclass(frozen=True)
class RefundEntered:
    payment_id: str
    amount: int


@dataclass(frozen=True)
class ApprovalsLoaded:
    grants: list[Grant]


@dataclass(frozen=True)
class LoadFailed:
    kind: ErrorKind
    detail: str = ""


@dataclass(frozen=True)
class Decide:
    grant_id: str
    staff: str
    approve: bool


@dataclass(frozen=True)
class Printed:
    pass


@dataclass(frozen=True)
class PrintFailed:
    detail: str


@dataclass(frozen=True)
class Reprint:
    pass


@dataclass(frozen=True)
class Finish:
    """The operator is done with the result screen."""


PointsEvent = (
    CardInserted
    | CardRemovedEvent
    | CardProbed
    | LastTryConfirmed
    | PinEntered
    | TapFailed
    | Cancel
    | Retry
    | TimerFired
    | SessionOpened
    | TicketIssued
    | Answered
    | Refused
    | Unreachable
    | AmountEntered
    | GrantEntered
    | Confirm
    | CodeEntered
    | RefundEntered
    | ApprovalsLoaded
    | LoadFailed
    | Decide
    | Printed
    | PrintFailed
    | Reprint
    | Finish
)

# --- effects (besides app.flow's ProbeCard, StartTimer, ClearScreen) ---------------------


@dataclass(frozen=True)
class OpenSession:
    """Card proof (challenge, PIN, signature) and then ``POST /v1/card-sessions`` — or
    ``/v1/registration-tickets`` with ``ticket`` — on the card thread; answer with
    SessionOpened / TicketIssued or TapFailed."""

    pin: str = field(repr=False)
    allow_last_try: bool
    ticket: bool = False


@dataclass(frozen=True)
class Send:
    """Write ``entry`` to the outbox, send it; answer Answered / Refused / Unreachable."""

    entry: OutboxEntry


@dataclass(frozen=True)
class LoadApprovals:
    """``GET /v1/grants?status=awaiting_approval``; answer ApprovalsLoaded or LoadFailed."""


@dataclass(frozen=True)
class Receipt:
    """What a printed receipt or voucher says (all texts are filled in by the printer)."""

    kind: str  # "payment", "refund", "voucher"
    amount: int
    number: str
    place: str
    municipality: str
    valid_until: str = ""
    qr: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PrintReceipt:
    """Print ``receipt`` off the GUI thread; answer Printed or PrintFailed."""

    receipt: Receipt


@dataclass(frozen=True)
class ForgetSecret:
    """The voucher is printed: its code leaves the outbox."""

    entry_id: str


@dataclass(frozen=True)
class CloseMode:
    """Back to the lookup's idle screen."""


PointsEffect = (
    ProbeCard
    | StartTimer
    | ClearScreen
    | OpenSession
    | Send
    | LoadApprovals
    | PrintReceipt
    | ForgetSecret
    | CloseMode
)


@dataclass(frozen=True)
class PointsTimeouts:
    """Seconds a screen waits for the operator before the counter gives up."""

    form_s: float = 120.0
    result_s: float = 30.0
    error_s: float = 20.0
    pin_entry_s: float = 60.0
    #: back-off before each retry of an unanswered request, the last one repeated
    retry_s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    #: attempts before the counter stops retrying (the entry stays in the outbox)
    max_attempts: int = 8


@dataclass
class PointsView:
    """What the current screen shows; never holds the PIN."""

    # the card part, as app.flow.View has it
    tries_left: int | None = None
    wrong_pin: bool = False
    last_try_confirmed: bool = False
    error: ErrorKind | None = None
    error_detail: str = ""
    # the operation
    balances: list[PointBalance] = field(default_factory=list)
    selected: int = 0
    amount: int = 0
    payment: Payment | None = None
    refund: Refund | None = None
    grant_form: GrantEntered | None = None
    grant: Grant | None = None
    approvals: list[Grant] = field(default_factory=list)
    voucher: VoucherInfo | None = None
    voucher_qr: str | None = field(default=None, repr=False)
    redemption: Redemption | None = None
    ticket: RegistrationTicket | None = None
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


_VOUCHER_CODE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def voucher_code(text: str) -> str | None:
    """The voucher code in a typed or scanned text (``MYKEYV1:<code>`` or the bare code)."""
    text = text.strip()
    if text.upper().startswith(VOUCHER_QR_PREFIX):
        text = text[len(VOUCHER_QR_PREFIX) :]
    return text if _VOUCHER_CODE.fullmatch(text) else None


class PointsFlow:
    """One points operation. Not thread-safe: call it from the GUI thread.

    ``new_id`` makes transfer ids (a UUID string), ``new_code`` voucher secrets.
    """

    def __init__(
        self,
        mode: Mode,
        scope: PointsScope | None,
        *,
        new_id: Callable[[], str],
        new_code: Callable[[], str],
        timeouts: PointsTimeouts | None = None,
    ) -> None:
        self.mode = mode
        self.scope = scope
        self.timeouts = timeouts or PointsTimeouts()
        self._new_id = new_id
        self._new_code = new_code
        self.step = Step.CLOSED
        self.view = PointsView()
        self.session: CardSession | None = None
        self._timer_token = 0
        #: the request in flight (or waiting for its retry)
        self.outgoing: OutboxEntry | None = None
        self._voucher_entry: str | None = None

    # public ------------------------------------------------------------------------------
    def start(self) -> list[PointsEffect]:
        """The operation's first screen."""
        if self.mode in CARD_MODES:
            return self._goto_form(Step.WAIT_CARD)
        if self.mode is Mode.REDEEM:
            return self._goto_form(Step.CODE_ENTRY)
        if self.mode is Mode.REFUND:
            return self._goto_form(Step.REFUND_FORM)
        self._goto(Step.LOADING)
        return [LoadApprovals()]

    def handle(self, event: PointsEvent) -> list[PointsEffect]:
        """Apply one event; return the effects to carry out, in order."""
        if self.step is Step.CLOSED:
            return []
        match event:
            case CardInserted() | CardRemovedEvent() | CardProbed() | LastTryConfirmed():
                return self._card_event(event)
            case PinEntered(pin=pin):
                return self._on_pin(pin)
            case TapFailed():
                return self._on_tap_failed(event)
            case SessionOpened(session=session):
                return self._on_session(session)
            case TicketIssued(ticket=ticket):
                return self._on_ticket(ticket)
            case AmountEntered():
                return self._on_amount(event)
            case GrantEntered():
                return self._on_grant_form(event)
            case Confirm():
                return self._on_confirm()
            case CodeEntered(text=text):
                return self._on_code(text)
            case RefundEntered():
                return self._on_refund(event)
            case Decide():
                return self._on_decide(event)
            case ApprovalsLoaded(grants=grants):
                return self._on_approvals(grants)
            case LoadFailed(kind=kind, detail=detail):
                return self._on_load_failed(kind, detail)
            case Answered():
                return self._on_answered(event)
            case Refused():
                return self._on_refused(event)
            case Unreachable():
                return self._on_unreachable(event)
            case Printed():
                return self._on_printed()
            case PrintFailed(detail=detail):
                return self._on_print_failed(detail)
            case Reprint():
                return self._on_reprint()
            case Cancel():
                return self._on_cancel()
            case Retry():
                return self._on_retry()
            case Finish():
                return self._on_finish()
            case TimerFired(token=token):
                return self._on_timer(token)
        raise TypeError(f"unknown event {event!r}")

    # the card ----------------------------------------------------------------------------
    def _card_event(
        self, event: CardInserted | CardRemovedEvent | CardProbed | LastTryConfirmed
    ) -> list[PointsEffect]:
        match event:
            case CardInserted():
                if self.step not in (Step.WAIT_CARD, Step.ERROR, Step.LOCKED_PIN):
                    return []
                self._timer_token += 1
                self._goto(Step.CARD_PRESENT)
                self.view = PointsView()
                return [ProbeCard()]
            case CardRemovedEvent():
                if self.step in CARD_NEEDED:
                    return self._error(ErrorKind.CARD_REMOVED)
                if self.step in (Step.ERROR, Step.LOCKED_PIN):
                    return self._goto_form(Step.WAIT_CARD)
                return []
            case CardProbed(status=status):
                if self.step is not Step.CARD_PRESENT:
                    return []
                return self._ask_pin(status.tries_left, wrong_pin=False)
            case LastTryConfirmed():
                if self.step is not Step.CONFIRM_LAST_TRY:
                    return []
                self.view.last_try_confirmed = True
                self._goto(Step.PIN_ENTRY)
                return [self._timer(self.timeouts.pin_entry_s)]
        return []

    def _ask_pin(self, tries_left: int, *, wrong_pin: bool) -> list[PointsEffect]:
        self.view.tries_left = tries_left
        self.view.wrong_pin = wrong_pin
        if tries_left <= 0:
            self._goto(Step.LOCKED_PIN)
            return [self._timer(self.timeouts.error_s)]
        if tries_left == 1 and not self.view.last_try_confirmed:
            self._goto(Step.CONFIRM_LAST_TRY)
        else:
            self._goto(Step.PIN_ENTRY)
        return [self._timer(self.timeouts.pin_entry_s)]

    def _on_pin(self, pin: str) -> list[PointsEffect]:
        if self.step is not Step.PIN_ENTRY:
            return []
        self._timer_token += 1
        self._goto(Step.AUTHENTICATING)
        return [
            OpenSession(
                pin=pin,
                allow_last_try=self.view.last_try_confirmed,
                ticket=self.mode is Mode.REGISTER,
            )
        ]

    def _on_tap_failed(self, event: TapFailed) -> list[PointsEffect]:
        if self.step not in CARD_WORK:
            return []
        if event.kind is ErrorKind.WRONG_PIN and event.tries_left is not None:
            self.view.last_try_confirmed = False
            return self._ask_pin(event.tries_left, wrong_pin=True)
        if event.kind is ErrorKind.PIN_BLOCKED:
            self.view.tries_left = 0
            self._goto(Step.LOCKED_PIN)
            return [self._timer(self.timeouts.error_s)]
        if kind_of(event.code) in (
            PointsErrorKind.ALREADY_REGISTERED,
            PointsErrorKind.MODE_NOT_ALLOWED,
        ):
            return self._failed(kind_of(event.code), event.detail)
        return self._error(event.kind, event.detail)

    def _on_session(self, session: CardSession) -> list[PointsEffect]:
        if self.step is not Step.AUTHENTICATING or self.mode is Mode.REGISTER:
            return []
        self.session = session
        self.view = PointsView(balances=list(session.balances))
        if self.mode is Mode.GRANT:
            return self._goto_form(Step.GRANT_FORM)
        return self._goto_form(Step.AMOUNT)

    def _on_ticket(self, ticket: RegistrationTicket) -> list[PointsEffect]:
        if self.step is not Step.AUTHENTICATING or self.mode is not Mode.REGISTER:
            return []
        self.view = PointsView(ticket=ticket)
        self._goto(Step.TICKET)
        return [self._timer(self.timeouts.result_s)]

    # forms -------------------------------------------------------------------------------
    def _on_amount(self, event: AmountEntered) -> list[PointsEffect]:
        if self.step is not Step.AMOUNT or self.session is None:
            return []
        self.view.problem = None
        if event.amount <= 0:
            return []
        balances = self.view.balances
        if self.mode is Mode.PAY:
            if not 0 <= event.index < len(balances):
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
        # voucher: from the holder's points at this municipality
        self.view.amount = event.amount
        code = self._new_code()
        request_v = VoucherRequest(
            id=self._new_id(),
            session_id=self.session.session_id,
            points=event.amount,
            code=code,
        )
        self.view.voucher_qr = VOUCHER_QR_PREFIX + code
        return self._send(make_entry(Operation.VOUCHER, request_v))

    def _on_grant_form(self, event: GrantEntered) -> list[PointsEffect]:
        if self.step is not Step.GRANT_FORM or self.session is None:
            return []
        if event.points <= 0 or not event.staff.strip():
            return []
        self.view.grant_form = GrantEntered(
            event.reason, event.points, event.staff.strip(), event.note
        )
        return self._goto_form(Step.GRANT_CONFIRM)

    def needs_approval(self, points: int) -> bool:
        """Whether a grant of ``points`` waits for a second staff member."""
        limit = self.scope.grant_approval_over if self.scope is not None else None
        return limit is not None and points > limit

    def _on_confirm(self) -> list[PointsEffect]:
        if self.step is Step.GRANT_CONFIRM and self.session is not None:
            form = self.view.grant_form
            assert form is not None
            request = GrantRequestBody(
                id=self._new_id(),
                session_id=self.session.session_id,
                points=form.points,
                reason=form.reason,
                staff=form.staff,
                note=form.note,
            )
            return self._send(make_entry(Operation.GRANT, request))
        if self.step is Step.RECEIPT and self.view.payment is not None:
            return self._resolve(Operation.PAYMENT_POST)
        return []

    def _resolve(self, operation: Operation) -> list[PointsEffect]:
        payment = self.view.payment
        assert payment is not None
        entry = make_entry(operation, ResolveRequest(id=self._new_id()), target=payment.id)
        return self._send(entry)

    def _on_code(self, text: str) -> list[PointsEffect]:
        if self.step is not Step.CODE_ENTRY:
            return []
        code = voucher_code(text)
        if code is None:
            self.view.problem = PointsErrorKind.VOUCHER_INVALID
            return [self._timer(self.timeouts.form_s)]
        self.view.problem = None
        request = RedeemRequest(id=self._new_id(), code=code)
        return self._send(make_entry(Operation.REDEEM, request))

    def _on_refund(self, event: RefundEntered) -> list[PointsEffect]:
        if self.step is not Step.REFUND_FORM:
            return []
        payment_id = event.payment_id.strip()
        if not payment_id or event.amount <= 0:
            return []
        self.view.problem = None
        self.view.amount = event.amount
        request = RefundRequest(id=self._new_id(), amount=event.amount)
        return self._send(make_entry(Operation.REFUND, request, target=payment_id))

    def _on_decide(self, event: Decide) -> list[PointsEffect]:
        if self.step is not Step.APPROVALS or not event.staff.strip():
            return []
        self.view.problem, self.view.decided = None, None
        request = ApprovalRequest(
            id=self._new_id(), staff=event.staff.strip(), approve=event.approve
        )
        return self._send(make_entry(Operation.GRANT_DECISION, request, target=event.grant_id))

    def _on_approvals(self, grants: list[Grant]) -> list[PointsEffect]:
        if self.step is not Step.LOADING:
            return []
        self.view.approvals = list(grants)
        problem, detail = self.view.problem, self.view.problem_detail
        effects = self._goto_form(Step.APPROVALS)
        self.view.problem, self.view.problem_detail = problem, detail  # of the last decision
        return effects

    def _on_load_failed(self, kind: ErrorKind, detail: str) -> list[PointsEffect]:
        if self.step is not Step.LOADING:
            return []
        return self._error(kind, detail)

    # sending -----------------------------------------------------------------------------
    def _send(self, entry: OutboxEntry) -> list[PointsEffect]:
        self.outgoing = entry
        self.view.sending = entry.operation
        self.view.attempts = 0
        self._timer_token += 1  # no form timer while the request is out
        self._goto(Step.SENDING)
        return [Send(entry)]

    def _current(self, entry_id: str) -> OutboxEntry | None:
        entry = self.outgoing
        if entry is None or entry.id != entry_id:
            return None
        if self.step not in (Step.SENDING, Step.RETRYING):
            return None
        return entry

    def _on_unreachable(self, event: Unreachable) -> list[PointsEffect]:
        entry = self._current(event.entry_id)
        if entry is None or self.step is not Step.SENDING:
            return []
        self.view.attempts += 1
        if self.view.attempts >= self.timeouts.max_attempts:
            # the entry stays pending in the outbox: sent again at the next start-up
            self.outgoing = None
            return self._error(ErrorKind.PLATFORM_UNREACHABLE, event.detail)
        self._goto(Step.RETRYING)
        backoff = self.timeouts.retry_s
        delay = backoff[min(self.view.attempts, len(backoff)) - 1]
        return [self._timer(delay)]

    def _on_refused(self, event: Refused) -> list[PointsEffect]:
        entry = self._current(event.entry_id)
        if entry is None:
            return []
        self.outgoing = None
        kind = kind_of(event.code)
        self.view.sending = None
        operation = entry.operation
        if operation is Operation.PAYMENT and kind in (
            PointsErrorKind.INSUFFICIENT_POINTS,
            PointsErrorKind.NOT_USABLE_HERE,
        ):
            return self._problem_on(Step.AMOUNT, kind, event.detail)
        if operation is Operation.REDEEM and kind is not PointsErrorKind.MODE_NOT_ALLOWED:
            return self._problem_on(Step.CODE_ENTRY, kind, event.detail)
        if operation is Operation.REFUND and kind in (
            PointsErrorKind.REFUND_TOO_LARGE,
            PointsErrorKind.NOT_FOUND,
        ):
            return self._problem_on(Step.REFUND_FORM, kind, event.detail)
        if operation is Operation.GRANT_DECISION:
            self._goto(Step.LOADING)
            self.view.problem, self.view.problem_detail = kind, event.detail
            return [LoadApprovals()]
        return self._failed(kind, event.detail)

    def _problem_on(self, step: Step, kind: PointsErrorKind, detail: str) -> list[PointsEffect]:
        effects = self._goto_form(step)
        self.view.problem, self.view.problem_detail = kind, detail
        return effects

    def _on_answered(self, event: Answered) -> list[PointsEffect]:
        entry = self._current(event.entry_id)
        if entry is None:
            return []
        self.outgoing = None
        self.view.sending = None
        answer = event.answer
        match entry.operation:
            case Operation.PAYMENT if isinstance(answer, Payment):
                return self._on_held(answer)
            case Operation.PAYMENT_POST | Operation.PAYMENT_VOID if isinstance(answer, Payment):
                self.view.payment = answer
                self.view.voided = answer.status is PaymentStatus.VOIDED
                return self._done()
            case Operation.REFUND if isinstance(answer, Refund):
                self.view.refund = answer
                receipt = Receipt(
                    kind="refund",
                    amount=answer.amount,
                    number=answer.payment_id,
                    place=self._place(),
                    municipality="",
                )
                return [*self._done(), PrintReceipt(receipt)]
            case Operation.GRANT if isinstance(answer, Grant):
                self.view.grant = answer
                return self._done()
            case Operation.GRANT_DECISION if isinstance(answer, Grant):
                self._goto(Step.LOADING)
                self.view.decided = answer
                return [LoadApprovals()]
            case Operation.VOUCHER if isinstance(answer, VoucherInfo):
                return self._on_voucher(entry, answer)
            case Operation.REDEEM if isinstance(answer, Redemption):
                self.view.redemption = answer
                return self._done()
        return self._error(ErrorKind.PLATFORM_ERROR, f"unexpected answer to {entry.operation}")

    def _place(self) -> str:
        scope = self.scope
        if scope is None:
            return ""
        return scope.shop_name or scope.municipality_name or ""

    def _on_held(self, payment: Payment) -> list[PointsEffect]:
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

    def _on_voucher(self, entry: OutboxEntry, voucher: VoucherInfo) -> list[PointsEffect]:
        self.view.voucher = voucher
        self.view.printed = None
        self._voucher_entry = entry.id
        self._goto(Step.PRINTING)
        return [PrintReceipt(self._voucher_receipt(voucher))]

    def _voucher_receipt(self, voucher: VoucherInfo) -> Receipt:
        return Receipt(
            kind="voucher",
            amount=voucher.amount,
            number=voucher.number,
            place=self._place(),
            municipality=voucher.municipality_name,
            valid_until=voucher.valid_until.date().isoformat(),
            qr=self.view.voucher_qr,
        )

    # printing ----------------------------------------------------------------------------
    def _on_printed(self) -> list[PointsEffect]:
        if self.step not in (Step.RECEIPT, Step.PRINTING, Step.DONE):
            return []
        self.view.printed, self.view.print_error = True, ""
        if self.mode is Mode.VOUCHER and self._voucher_entry is not None:
            entry_id, self._voucher_entry = self._voucher_entry, None
            effects: list[PointsEffect] = [ForgetSecret(entry_id)]
            if self.step is Step.PRINTING:
                effects += self._done()
            return effects
        return []

    def _on_print_failed(self, detail: str) -> list[PointsEffect]:
        if self.step not in (Step.RECEIPT, Step.PRINTING, Step.DONE):
            return []
        self.view.printed, self.view.print_error = False, detail
        if self.step is Step.PRINTING:
            return self._done()  # the QR on the screen; the code stays for a reprint
        return []

    def _on_reprint(self) -> list[PointsEffect]:
        voucher = self.view.voucher
        if self.step is not Step.DONE or voucher is None or self._voucher_entry is None:
            return []
        self.view.printed, self.view.print_error = None, ""
        return [PrintReceipt(self._voucher_receipt(voucher))]

    # leaving -----------------------------------------------------------------------------
    def _on_cancel(self) -> list[PointsEffect]:
        if self.step in (Step.SENDING, Step.RETRYING, Step.AUTHENTICATING, Step.LOADING):
            return []  # a request is out: its answer decides
        if self.step is Step.RECEIPT and self.view.payment is not None:
            return self._resolve(Operation.PAYMENT_VOID)
        if self.step in (Step.ERROR, Step.LOCKED_PIN, Step.FAILED) and self.session is None:
            if self.mode in CARD_MODES:
                return self._goto_form(Step.WAIT_CARD)
        return self._close()

    def _on_retry(self) -> list[PointsEffect]:
        if self.step is not Step.ERROR or self.view.error not in (
            ErrorKind.PLATFORM_UNREACHABLE,
            ErrorKind.PLATFORM_ERROR,
        ):
            return []
        if self.mode is Mode.APPROVALS:
            self._goto(Step.LOADING)
            return [LoadApprovals()]
        if self.session is None and self.mode in CARD_MODES:
            self._timer_token += 1
            self._goto(Step.CARD_PRESENT)
            return [ProbeCard()]
        return []

    def _on_finish(self) -> list[PointsEffect]:
        if self.step in (Step.DONE, Step.TICKET, Step.FAILED):
            return self._close()
        return []

    def _on_timer(self, token: int) -> list[PointsEffect]:
        if token != self._timer_token:
            return []
        if self.step is Step.RETRYING and self.outgoing is not None:
            self._goto(Step.SENDING)
            return [Send(self.outgoing)]
        if self.step is Step.RECEIPT and self.view.payment is not None:
            return self._resolve(Operation.PAYMENT_VOID)  # the clerk walked away
        if self.step in (Step.SENDING, Step.AUTHENTICATING, Step.LOADING, Step.PRINTING):
            return []
        return self._close()

    # helpers -----------------------------------------------------------------------------
    def _goto(self, step: Step) -> None:
        if step is not Step.ERROR:
            self.view.error = None
            self.view.error_detail = ""
        self.step = step

    def _goto_form(self, step: Step) -> list[PointsEffect]:
        self._goto(step)
        self.view.problem, self.view.problem_detail = None, ""
        return [self._timer(self.timeouts.form_s)]

    def _done(self) -> list[PointsEffect]:
        self._goto(Step.DONE)
        return [self._timer(self.timeouts.result_s)]

    def _error(self, kind: ErrorKind, detail: str = "") -> list[PointsEffect]:
        self._goto(Step.ERROR)
        self.view.error, self.view.error_detail = kind, detail
        return [self._timer(self.timeouts.error_s)]

    def _failed(self, kind: PointsErrorKind, detail: str) -> list[PointsEffect]:
        self._goto(Step.FAILED)
        self.view.problem, self.view.problem_detail = kind, detail
        return [self._timer(self.timeouts.error_s)]

    def _close(self) -> list[PointsEffect]:
        self._timer_token += 1
        self.step = Step.CLOSED
        self.view = PointsView()
        self.session = None
        return [ClearScreen(), CloseMode()]

    def _timer(self, seconds: float) -> StartTimer:
        self._timer_token += 1
        return StartTimer(seconds=seconds, token=self._timer_token)
