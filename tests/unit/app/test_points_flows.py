"""The points modes' state machines: every transition, without Qt or I/O."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from app.card_step import (
    CardInserted,
    CardProbed,
    CardRemovedEvent,
    LastTryConfirmed,
    PinEntered,
    ProbeCard,
    TapFailed,
)
from app.flow_common import Cancel, ClearScreen, Retry, StartTimer, TimerFired
from app.points.errors import PointsErrorKind
from app.points.flows import (
    FLOWS,
    AmountEntered,
    Answered,
    ApprovalsLoaded,
    CardFlow,
    CloseMode,
    CodeEntered,
    Confirm,
    Decide,
    Finish,
    ForgetSecret,
    GrantEntered,
    GrantFlow,
    LinkEntered,
    LoadApprovals,
    LoadFailed,
    Mode,
    OpenSession,
    PointsEffect,
    PointsFlow,
    PointsTimeouts,
    Printed,
    PrintFailed,
    PrintReceipt,
    RefundEntered,
    Refused,
    Reprint,
    Send,
    SessionOpened,
    Step,
    TicketIssued,
    Unreachable,
    flow_for,
    voucher_code,
)
from app.points.outbox import Operation
from app.ports import CardStatus, ErrorKind
from server.api.schemas import (
    VOUCHER_QR_PREFIX,
    CardOperation,
    CardSession,
    Grant,
    GrantReason,
    GrantStatus,
    OperationKind,
    Payment,
    PaymentStatus,
    PointBalance,
    PointsScope,
    Redemption,
    Refund,
    RegistrationTicket,
    TerminalMode,
    VoucherInfo,
)

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
CODE = "c" * 32
SHOP = PointsScope(modes=[TerminalMode.LOOKUP, TerminalMode.SHOP], shop_code="S1",
                   shop_name="α商店街 こめや")
OFFICE = PointsScope(modes=[TerminalMode.LOOKUP, TerminalMode.GRANT, TerminalMode.VOUCHER],
                     municipality_code="14130", municipality_name="α市",
                     grant_approval_over=1000)
BALANCES = [
    PointBalance(municipality_code="14130", municipality_name="α市", available=4000),
    PointBalance(municipality_code="14130", municipality_name="α市", event_code="EV1",
                 event_name="復興応援", available=300),
]
#: the modes that start with the holder's card
CARD_MODES = {Mode.PAY, Mode.GRANT, Mode.VOUCHER, Mode.REGISTER, Mode.CONFIRM_LINK}
SESSION = CardSession(session_id="sess-1", expires_at=NOW, balances=BALANCES)


def make(mode: Mode, scope: PointsScope | None = SHOP, **timeouts: object) -> PointsFlow:
    ids = (f"id-{n}" for n in itertools.count(1))
    flow = flow_for(mode, scope, new_id=lambda: next(ids), new_code=lambda: CODE,
                    timeouts=PointsTimeouts(**timeouts))  # type: ignore[arg-type]
    flow.start()
    return flow


def sent(effects: list[PointsEffect]) -> Send:
    sends = [e for e in effects if isinstance(e, Send)]
    assert len(sends) == 1, effects
    return sends[0]


def body(send: Send) -> dict[str, object]:
    data = json.loads(send.entry.request)
    assert isinstance(data, dict)
    return data


def timers(effects: list[PointsEffect]) -> list[StartTimer]:
    return [e for e in effects if isinstance(e, StartTimer)]


def ready(mode: Mode, scope: PointsScope | None = SHOP, amount: int = 500) -> PointsFlow:
    """A flow on its card screen: the operation entered first, as the clerk does."""
    flow = make(mode, scope)
    if mode in (Mode.PAY, Mode.VOUCHER):
        flow.handle(AmountEntered(0, amount))
    elif mode is Mode.GRANT:
        flow.handle(GrantEntered(GrantReason.VOLUNTEERING, amount, "sato", "246810"))
        flow.handle(Confirm())
    assert flow.step is Step.WAIT_CARD
    return flow


def to_pin(flow: PointsFlow, tries: int = 3) -> None:
    assert flow.handle(CardInserted()) == [ProbeCard()]
    flow.handle(CardProbed(CardStatus(tries)))


def to_session(flow: PointsFlow) -> list[PointsEffect]:
    to_pin(flow)
    effects = flow.handle(PinEntered("1234"))
    assert isinstance(flow, CardFlow) and flow.operation is not None
    assert effects == [OpenSession(pin="1234", allow_last_try=False, operation=flow.operation)]
    assert flow.step is Step.AUTHENTICATING
    return flow.handle(SessionOpened(SESSION))


def payment(status: PaymentStatus = PaymentStatus.HELD, amount: int = 500) -> Payment:
    return Payment(id="id-1", status=status, amount=amount, municipality_code="14130",
                   shop_code="S1", created_at=NOW, hold_expires_at=NOW)


def grant(status: GrantStatus = GrantStatus.GRANTED, points: int = 500) -> Grant:
    return Grant(id="id-1", status=status, points=points, municipality_code="14130",
                 reason="volunteering", requested_by="佐藤", created_at=NOW)


# --- the card part -----------------------------------------------------------------------


def test_modes_that_move_points_ask_for_the_operation_before_the_card() -> None:
    assert make(Mode.PAY).step is Step.AMOUNT
    assert make(Mode.GRANT, OFFICE).step is Step.GRANT_FORM
    assert make(Mode.VOUCHER, OFFICE).step is Step.AMOUNT
    assert make(Mode.REGISTER, None).step is Step.WAIT_CARD
    assert make(Mode.REDEEM).step is Step.CODE_ENTRY
    assert make(Mode.REFUND).step is Step.REFUND_FORM
    flow = flow_for(Mode.APPROVALS, OFFICE, new_id=str, new_code=str)
    assert flow.start() == [LoadApprovals()]
    assert flow.step is Step.LOADING


def test_the_card_signs_for_the_amount_entered_before_it() -> None:
    flow = make(Mode.PAY)
    assert flow.handle(AmountEntered(0, 0)) == [] and flow.step is Step.AMOUNT
    flow.handle(AmountEntered(0, 200))
    assert flow.step is Step.WAIT_CARD and flow.view.amount == 200
    to_pin(flow)
    assert flow.step is Step.PIN_ENTRY and flow.view.card.tries_left == 3
    effects = flow.handle(PinEntered("1234"))
    assert isinstance(effects[0], OpenSession) and not effects[0].ticket
    assert effects[0].operation == CardOperation(kind=OperationKind.PAYMENT, points=200)
    effects = flow.handle(SessionOpened(SESSION))
    # both accounts could pay 200: the clerk chooses, the amount stays
    assert flow.step is Step.AMOUNT and flow.view.choose_account
    assert flow.view.balances == BALANCES and flow.view.amount == 200
    assert timers(effects)


def test_a_card_already_on_the_reader_is_used_when_the_form_is_done() -> None:
    flow = make(Mode.PAY)
    assert flow.handle(CardInserted()) == []  # the patron is quick: the clerk is not done
    assert flow.step is Step.AMOUNT
    assert flow.handle(AmountEntered(0, 500)) == [ProbeCard()]
    assert flow.step is Step.CARD_PRESENT and flow.view.amount == 500
    flow = make(Mode.PAY)
    flow.handle(CardInserted())
    flow.handle(CardRemovedEvent())  # and changed their mind
    flow.handle(AmountEntered(0, 500))
    assert flow.step is Step.WAIT_CARD


def test_last_try_needs_consent_and_is_passed_on() -> None:
    flow = ready(Mode.PAY)
    to_pin(flow, tries=1)
    assert flow.step is Step.CONFIRM_LAST_TRY
    assert flow.handle(PinEntered("1234")) == []
    flow.handle(LastTryConfirmed())
    assert flow.step is Step.PIN_ENTRY
    payment_of_500 = CardOperation(kind=OperationKind.PAYMENT, points=500)
    assert flow.handle(PinEntered("1234")) == [
        OpenSession(pin="1234", allow_last_try=True, operation=payment_of_500)]


def test_wrong_pin_asks_again_and_a_locked_card_is_said() -> None:
    flow = ready(Mode.PAY)
    to_pin(flow)
    flow.handle(PinEntered("0000"))
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2))
    assert flow.step is Step.PIN_ENTRY
    assert flow.view.card.wrong_pin and flow.view.card.tries_left == 2
    flow.handle(PinEntered("0000"))
    flow.handle(TapFailed(ErrorKind.PIN_BLOCKED))
    assert flow.step is Step.LOCKED_PIN
    flow.handle(CardRemovedEvent())
    assert flow.step is Step.WAIT_CARD


def test_a_blocked_card_on_probe_and_a_removed_card() -> None:
    flow = ready(Mode.PAY)
    flow.handle(CardInserted())
    flow.handle(CardProbed(CardStatus(0)))
    assert flow.step is Step.LOCKED_PIN
    flow = ready(Mode.PAY)
    to_pin(flow)
    flow.handle(CardRemovedEvent())
    assert (flow.step, flow.view.error) == (Step.ERROR, ErrorKind.CARD_REMOVED)
    flow.handle(CardInserted())  # the card comes back
    assert flow.step is Step.CARD_PRESENT


def test_a_card_error_can_be_retried_or_left() -> None:
    flow = ready(Mode.PAY)
    to_pin(flow)
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.PLATFORM_UNREACHABLE, detail="refused"))
    assert flow.step is Step.ERROR
    assert flow.handle(Retry()) == [ProbeCard()]
    assert flow.step is Step.CARD_PRESENT
    flow.handle(TapFailed(ErrorKind.NOT_REGISTERED))
    assert flow.handle(Retry()) == []
    flow.handle(Cancel())
    assert flow.step is Step.WAIT_CARD
    assert flow.handle(Cancel()) == [ClearScreen(), CloseMode()]
    assert flow.step is Step.CLOSED
    assert flow.handle(CardInserted()) == []  # closed: nothing more


def test_card_removal_after_the_session_is_fine() -> None:
    flow = ready(Mode.PAY, amount=200)
    to_session(flow)
    assert flow.handle(CardRemovedEvent()) == []
    assert flow.step is Step.AMOUNT


def test_a_stale_card_answer_is_ignored() -> None:
    flow = ready(Mode.PAY)
    assert flow.handle(SessionOpened(SESSION)) == []
    assert flow.handle(TapFailed(ErrorKind.CARD_ERROR)) == []
    assert flow.handle(CardProbed(CardStatus(3))) == []
    assert flow.handle(LastTryConfirmed()) == []
    assert flow.step is Step.WAIT_CARD


# --- shop: pay -----------------------------------------------------------------------------


def pay_to_receipt(flow: PointsFlow, amount: int = 500) -> None:
    """Only the first account can pay ``amount``: it pays at once."""
    send = sent(to_session(flow))
    assert flow.step is Step.SENDING and flow.view.sending is Operation.PAYMENT
    effects = flow.handle(Answered(send.entry.id, payment(amount=amount)))
    assert flow.step is Step.RECEIPT
    assert any(isinstance(e, PrintReceipt) for e in effects)


def test_the_one_account_that_can_pay_pays_at_once() -> None:
    flow = ready(Mode.PAY, amount=500)
    send = sent(to_session(flow))
    assert body(send) == {"id": "id-1", "session_id": "sess-1", "municipality_code": "14130",
                          "event_code": None, "amount": 500}


def test_pay_holds_the_amount_from_the_chosen_account() -> None:
    flow = ready(Mode.PAY, amount=200)
    to_session(flow)
    assert flow.handle(AmountEntered(1, 300)) == []  # the card signed for 200
    send = sent(flow.handle(AmountEntered(1, 200)))
    assert send.entry.operation is Operation.PAYMENT
    assert body(send) == {"id": "id-1", "session_id": "sess-1", "municipality_code": "14130",
                          "event_code": "EV1", "amount": 200}


def test_pay_prints_a_receipt_then_posts() -> None:
    flow = ready(Mode.PAY)
    pay_to_receipt(flow)
    receipt_effects = flow.handle(Printed())
    assert receipt_effects == [] and flow.view.printed is True
    send = sent(flow.handle(Confirm()))
    assert send.entry.operation is Operation.PAYMENT_POST
    assert send.entry.endpoint == "/v1/payments/id-1/post"
    assert body(send) == {"id": "id-2"}
    flow.handle(Answered("id-2", payment(PaymentStatus.POSTED)))
    assert flow.step is Step.DONE and not flow.view.voided
    assert flow.handle(Finish()) == [ClearScreen(), CloseMode()]


def test_the_receipt_text() -> None:
    flow = ready(Mode.PAY, amount=300)
    to_session(flow)
    send = sent(flow.handle(AmountEntered(1, 300)))
    effects = flow.handle(Answered(send.entry.id, payment(amount=300)))
    receipt = next(e for e in effects if isinstance(e, PrintReceipt)).receipt
    assert (receipt.kind, receipt.amount, receipt.place, receipt.municipality) == (
        "payment", 300, "α商店街 こめや", "復興応援")


def test_cancel_at_the_receipt_voids_the_hold() -> None:
    flow = ready(Mode.PAY)
    pay_to_receipt(flow)
    flow.handle(PrintFailed("paper out"))
    assert flow.view.printed is False and flow.view.print_error == "paper out"
    send = sent(flow.handle(Cancel()))
    assert send.entry.operation is Operation.PAYMENT_VOID
    flow.handle(Answered(send.entry.id, payment(PaymentStatus.VOIDED)))
    assert flow.step is Step.DONE and flow.view.voided


def test_the_receipt_left_alone_is_voided() -> None:
    flow = ready(Mode.PAY)
    pay_to_receipt(flow)
    token = flow.timer_token
    send = sent(flow.handle(TimerFired(token)))
    assert send.entry.operation is Operation.PAYMENT_VOID


def test_cancel_at_the_amount_leaves_without_a_payment() -> None:
    assert make(Mode.PAY).handle(Cancel()) == [ClearScreen(), CloseMode()]
    assert ready(Mode.PAY).handle(Cancel()) == [ClearScreen(), CloseMode()]
    flow = ready(Mode.PAY, amount=200)
    to_session(flow)
    assert flow.handle(Cancel()) == [ClearScreen(), CloseMode()]


def test_more_than_available_is_refused_on_the_terminal() -> None:
    flow = ready(Mode.PAY, amount=4001)
    effects = to_session(flow)
    assert not [e for e in effects if isinstance(e, Send)]
    assert (flow.step, flow.view.problem) == (Step.AMOUNT, PointsErrorKind.INSUFFICIENT_POINTS)
    effects = flow.handle(AmountEntered(1, 4001))
    assert not [e for e in effects if isinstance(e, Send)]
    assert flow.handle(AmountEntered(0, 0)) == []
    assert flow.handle(AmountEntered(5, 4001)) == []


@pytest.mark.parametrize(("code", "kind"), [
    ("insufficient_points", PointsErrorKind.INSUFFICIENT_POINTS),
    ("not_usable_here", PointsErrorKind.NOT_USABLE_HERE),
])
def test_the_platform_refusing_the_amount_returns_to_it(code: str, kind: PointsErrorKind) -> None:
    flow = ready(Mode.PAY, amount=100)
    to_session(flow)
    send = sent(flow.handle(AmountEntered(0, 100)))
    flow.handle(Refused(send.entry.id, code, "nope"))
    assert (flow.step, flow.view.problem, flow.view.problem_detail) == (Step.AMOUNT, kind, "nope")


def test_an_expired_hold_cannot_be_posted() -> None:
    flow = ready(Mode.PAY)
    pay_to_receipt(flow)
    send = sent(flow.handle(Confirm()))
    flow.handle(Refused(send.entry.id, "pending_expired"))
    assert (flow.step, flow.view.problem) == (Step.FAILED, PointsErrorKind.HOLD_EXPIRED)
    assert flow.handle(Finish()) == [ClearScreen(), CloseMode()]


def test_an_expired_session_fails_the_operation() -> None:
    flow = ready(Mode.PAY)
    send = sent(to_session(flow))
    flow.handle(Refused(send.entry.id, "card_session_invalid"))
    assert flow.view.problem is PointsErrorKind.SESSION_EXPIRED


# --- retries -----------------------------------------------------------------------------------


def test_no_answer_retries_the_same_entry_with_back_off() -> None:
    flow = make(Mode.PAY, retry_s=(0.5, 1.0))
    flow.handle(AmountEntered(0, 500))
    first = sent(to_session(flow))
    effects = flow.handle(Unreachable(first.entry.id, "reset"))
    assert flow.step is Step.RETRYING and flow.view.attempts == 1
    assert [t.seconds for t in timers(effects)] == [0.5]
    assert flow.handle(Cancel()) == []  # the request is out: no leaving now
    again = sent(flow.handle(TimerFired(timers(effects)[0].token)))
    assert again.entry == first.entry  # the same id, the same request
    effects = flow.handle(Unreachable(first.entry.id))
    assert [t.seconds for t in timers(effects)] == [1.0]
    effects = flow.handle(Unreachable(first.entry.id))  # a late duplicate: ignored
    assert effects == []
    flow.handle(TimerFired(flow.timer_token))
    effects = flow.handle(Unreachable(first.entry.id))
    assert [t.seconds for t in timers(effects)] == [1.0]  # the last back-off repeats
    flow.handle(TimerFired(flow.timer_token))
    flow.handle(Answered(first.entry.id, payment()))
    assert flow.step is Step.RECEIPT


def test_after_the_last_attempt_the_entry_is_left_to_the_outbox() -> None:
    flow = make(Mode.PAY, max_attempts=2)
    flow.handle(AmountEntered(0, 500))
    send = sent(to_session(flow))
    flow.handle(Unreachable(send.entry.id))
    flow.handle(TimerFired(flow.timer_token))
    flow.handle(Unreachable(send.entry.id))
    assert (flow.step, flow.view.error) == (Step.ERROR, ErrorKind.PLATFORM_UNREACHABLE)
    assert flow.outgoing is None
    assert flow.handle(Retry()) == []  # the session is open: no new card proof
    assert flow.handle(Cancel()) == [ClearScreen(), CloseMode()]


def test_answers_to_other_entries_are_ignored() -> None:
    flow = ready(Mode.PAY)
    sent(to_session(flow))
    assert flow.handle(Answered("other", payment())) == []
    assert flow.handle(Refused("other", "x")) == []
    assert flow.handle(Unreachable("other")) == []
    assert flow.step is Step.SENDING


# --- shop: redeem and refund -----------------------------------------------------------------


def test_voucher_codes_are_read_from_the_qr_payload_or_typed() -> None:
    assert voucher_code(f"{VOUCHER_QR_PREFIX}{CODE}\n") == CODE
    assert voucher_code(f" {CODE} ") == CODE
    assert voucher_code("short") is None
    assert voucher_code(f"{VOUCHER_QR_PREFIX}{'x' * 21}!") is None


def test_redeem_a_scanned_voucher() -> None:
    flow = make(Mode.REDEEM)
    send = sent(flow.handle(CodeEntered(VOUCHER_QR_PREFIX + CODE)))
    assert body(send) == {"id": "id-1", "code": CODE}
    flow.handle(Answered(send.entry.id, Redemption(id="id-1", number="V-1", amount=500,
                                                   municipality_code="14130", shop_code="S1")))
    assert flow.step is Step.DONE and flow.view.redemption is not None


def test_a_bad_or_used_voucher_stays_on_the_code_field() -> None:
    flow = make(Mode.REDEEM)
    flow.handle(CodeEntered("garbage"))
    assert (flow.step, flow.view.problem) == (Step.CODE_ENTRY, PointsErrorKind.VOUCHER_INVALID)
    send = sent(flow.handle(CodeEntered(CODE)))
    flow.handle(Refused(send.entry.id, "voucher_used"))
    assert (flow.step, flow.view.problem) == (Step.CODE_ENTRY, PointsErrorKind.VOUCHER_USED)
    send = sent(flow.handle(CodeEntered(CODE)))
    assert send.entry.id == "id-2"  # a new attempt by the clerk is a new intent


def test_refund_of_a_posted_payment() -> None:
    flow = make(Mode.REFUND)
    assert flow.handle(RefundEntered(" ", 100)) == []
    send = sent(flow.handle(RefundEntered("pay-9", 100)))
    assert send.entry.endpoint == "/v1/payments/pay-9/refunds"
    assert body(send) == {"id": "id-1", "amount": 100}
    effects = flow.handle(Answered(send.entry.id, Refund(id="id-1", payment_id="pay-9",
                                                         amount=100, refunded_total=100)))
    assert flow.step is Step.DONE
    assert any(isinstance(e, PrintReceipt) and e.receipt.kind == "refund" for e in effects)


def test_a_refund_too_large_stays_on_the_form() -> None:
    flow = make(Mode.REFUND)
    send = sent(flow.handle(RefundEntered("pay-9", 10_000)))
    flow.handle(Refused(send.entry.id, "refund_exceeds_payment"))
    assert (flow.step, flow.view.problem) == (Step.REFUND_FORM, PointsErrorKind.REFUND_TOO_LARGE)


# --- grant ---------------------------------------------------------------------------------


def test_grant_reason_points_staff_confirm() -> None:
    flow = make(Mode.GRANT, OFFICE)
    assert flow.step is Step.GRANT_FORM
    assert flow.handle(GrantEntered(GrantReason.HEALTH, 500, "  ", "246810")) == []
    assert flow.handle(GrantEntered(GrantReason.HEALTH, 500, "sato", "12")) == []
    assert flow.handle(GrantEntered(GrantReason.HEALTH, 500, "ｓａｔｏ", "246810")) == []
    flow.handle(GrantEntered(GrantReason.HEALTH, 500, " Sato ", "246810"))
    assert flow.step is Step.GRANT_CONFIRM
    assert isinstance(flow, GrantFlow)
    assert not flow.needs_approval(500) and flow.needs_approval(1001)
    assert not flow.view.needs_approval(500) and flow.view.needs_approval(1001)
    flow.handle(Confirm())
    assert flow.step is Step.WAIT_CARD
    assert flow.operation == CardOperation(
        kind=OperationKind.GRANT, points=500, reason=GrantReason.HEALTH
    )
    send = sent(to_session(flow))
    assert body(send) == {"id": "id-1", "session_id": "sess-1", "points": 500,
                          "reason": "health", "event_code": None, "staff_login": "sato",
                          "staff_code": "000000", "note": None}  # the code: never on disk
    assert "246810" not in repr(send) and "246810" not in send.entry.request
    assert send.entry.model().staff_code == "246810"  # sent from memory
    flow.handle(Answered(send.entry.id, grant()))
    assert flow.step is Step.DONE and flow.view.grant is not None


def test_a_large_grant_awaits_approval() -> None:
    flow = ready(Mode.GRANT, OFFICE, amount=5000)
    send = sent(to_session(flow))
    flow.handle(Answered(send.entry.id, grant(GrantStatus.AWAITING_APPROVAL, 5000)))
    assert flow.view.grant is not None
    assert flow.view.grant.status is GrantStatus.AWAITING_APPROVAL


def test_cancel_on_the_grant_confirmation_grants_nothing() -> None:
    flow = make(Mode.GRANT, OFFICE)
    flow.handle(GrantEntered(GrantReason.OTHER, 10, "sato", "246810"))
    assert flow.handle(Cancel()) == [ClearScreen(), CloseMode()]


def test_approvals_list_approve_and_refusal() -> None:
    flow = flow_for(Mode.APPROVALS, OFFICE, new_id=lambda: "id-1", new_code=str)
    flow.start()
    waiting = grant(GrantStatus.AWAITING_APPROVAL, 5000)
    flow.handle(ApprovalsLoaded([waiting]))
    assert flow.step is Step.APPROVALS and flow.view.approvals == [waiting]
    flow.handle(Decide(waiting.id, " ", "13572468", True))  # no login: said, nothing sent
    assert flow.view.problem is PointsErrorKind.STAFF_CREDENTIAL_INVALID
    send = sent(flow.handle(Decide(waiting.id, "tanaka", "13572468", True)))
    assert send.entry.endpoint == f"/v1/grants/{waiting.id}/decision"
    assert body(send) == {"id": "id-1", "staff_login": "tanaka", "staff_code": "000000",
                          "approve": True}
    assert flow.handle(Answered("id-1", grant())) == [LoadApprovals()]
    flow.handle(ApprovalsLoaded([]))
    assert flow.view.decided is not None and flow.view.approvals == []
    # the requester cannot approve their own grant
    flow.handle(ApprovalsLoaded([waiting]))
    flow.view.approvals = [waiting]
    send = sent(flow.handle(Decide(waiting.id, "sato", "246810", True)))
    assert flow.handle(Refused(send.entry.id, "approval_same_staff")) == [LoadApprovals()]
    flow.handle(ApprovalsLoaded([waiting]))
    assert (flow.step, flow.view.problem) == (
        Step.APPROVALS, PointsErrorKind.APPROVAL_SAME_STAFF
    )


def test_approvals_that_cannot_load_can_be_retried() -> None:
    flow = flow_for(Mode.APPROVALS, OFFICE, new_id=str, new_code=str)
    flow.start()
    flow.handle(LoadFailed(ErrorKind.PLATFORM_UNREACHABLE, "down"))
    assert flow.step is Step.ERROR
    assert flow.handle(Retry()) == [LoadApprovals()]
    flow.handle(LoadFailed(ErrorKind.PLATFORM_UNREACHABLE, "down"))
    assert flow.handle(Cancel()) == [ClearScreen(), CloseMode()]


# --- voucher ---------------------------------------------------------------------------------


def voucher() -> VoucherInfo:
    return VoucherInfo(number="V-0001", amount=1000, municipality_code="14130",
                       municipality_name="α市", valid_until=NOW)


def test_voucher_issue_print_then_forget_the_code() -> None:
    flow = ready(Mode.VOUCHER, OFFICE, amount=1000)
    send = sent(to_session(flow))
    assert body(send) == {"id": "id-1", "session_id": "sess-1", "points": 1000, "code": CODE}
    effects = flow.handle(Answered(send.entry.id, voucher()))
    assert flow.step is Step.PRINTING
    receipt = next(e for e in effects if isinstance(e, PrintReceipt)).receipt
    assert (receipt.kind, receipt.number, receipt.qr, receipt.valid_until) == (
        "voucher", "V-0001", VOUCHER_QR_PREFIX + CODE, "2026-04-01")
    effects = flow.handle(Printed())
    assert ForgetSecret("id-1") in effects
    assert flow.step is Step.DONE and flow.view.voucher_qr == VOUCHER_QR_PREFIX + CODE
    assert flow.handle(Reprint()) == []  # printed: the code is gone from the outbox


def test_a_voucher_that_did_not_print_can_be_printed_again() -> None:
    flow = ready(Mode.VOUCHER, OFFICE, amount=1000)
    send = sent(to_session(flow))
    flow.handle(Answered(send.entry.id, voucher()))
    assert [type(e) for e in flow.handle(PrintFailed("no paper"))] == [StartTimer]
    assert flow.step is Step.DONE and flow.view.printed is False
    effects = flow.handle(Reprint())
    assert [type(e) for e in effects] == [PrintReceipt]
    assert ForgetSecret("id-1") in flow.handle(Printed())


def test_a_voucher_beyond_the_balance_is_refused() -> None:
    flow = ready(Mode.VOUCHER, OFFICE, amount=99999)
    send = sent(to_session(flow))
    flow.handle(Refused(send.entry.id, "insufficient_points"))
    assert (flow.step, flow.view.problem) == (Step.FAILED, PointsErrorKind.INSUFFICIENT_POINTS)


# --- register ------------------------------------------------------------------------------


def test_register_shows_the_ticket_until_the_timer() -> None:
    flow = make(Mode.REGISTER, None, result_s=30.0)
    to_pin(flow)
    assert flow.handle(PinEntered("1234")) == [
        OpenSession(pin="1234", allow_last_try=False, ticket=True, operation=None)]
    assert flow.handle(SessionOpened(SESSION)) == []
    ticket = RegistrationTicket(url="https://portal.example/r/abc", expires_at=NOW,
                                purpose="register")
    effects = flow.handle(TicketIssued(ticket))
    assert flow.step is Step.TICKET and flow.view.ticket == ticket
    (timer,) = timers(effects)
    assert timer.seconds == 30.0
    assert flow.handle(TimerFired(timer.token)) == [ClearScreen(), CloseMode()]
    assert flow.view.ticket is None


def test_a_card_already_registered_is_said() -> None:
    flow = make(Mode.REGISTER, None)
    to_pin(flow)
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.PLATFORM_ERROR, detail="yes", code="already_registered"))
    assert (flow.step, flow.view.problem) == (Step.FAILED, PointsErrorKind.ALREADY_REGISTERED)


def test_a_terminal_without_the_mode_is_said_at_the_card() -> None:
    flow = ready(Mode.PAY)
    to_pin(flow)
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.PLATFORM_ERROR, code="terminal_mode_not_allowed"))
    assert (flow.step, flow.view.problem) == (Step.FAILED, PointsErrorKind.MODE_NOT_ALLOWED)


def test_the_code_decides_never_the_text() -> None:
    flow = make(Mode.REGISTER, None)
    to_pin(flow)
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.PLATFORM_ERROR, detail="already_registered: said a proxy"))
    assert (flow.step, flow.view.error) == (Step.ERROR, ErrorKind.PLATFORM_ERROR)


# --- timers --------------------------------------------------------------------------------


def test_forms_left_alone_close_and_stale_timers_do_nothing() -> None:
    flow = ready(Mode.PAY, amount=200)
    stale = flow.timer_token
    to_session(flow)
    assert flow.handle(TimerFired(stale)) == []
    assert flow.handle(TimerFired(flow.timer_token)) == [ClearScreen(), CloseMode()]


def test_no_timer_closes_while_a_request_is_out() -> None:
    flow = ready(Mode.PAY, amount=500)
    sent(to_session(flow))
    assert flow.handle(TimerFired(flow.timer_token)) == []
    assert flow.step is Step.SENDING


# --- one flow per mode -------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_has_its_flow_and_view(mode: Mode) -> None:
    flow = make(mode, OFFICE)
    assert type(flow) is FLOWS[mode] and flow.mode is mode
    assert flow.view.mode is mode and flow.view.approval_over == 1000
    assert isinstance(flow, CardFlow) == (mode in CARD_MODES)


@pytest.mark.parametrize("mode", [Mode.REDEEM, Mode.REFUND, Mode.APPROVALS])
def test_modes_without_a_card_ignore_the_card(mode: Mode) -> None:
    flow = make(mode)
    if mode is Mode.APPROVALS:
        flow.handle(LoadFailed(ErrorKind.PLATFORM_UNREACHABLE, "down"))
    else:
        send = sent(flow.handle(CodeEntered(CODE)) if mode is Mode.REDEEM
                    else flow.handle(RefundEntered("pay-9", 10)))
        for _ in range(flow.timeouts.max_attempts):
            flow.handle(Unreachable(send.entry.id))
            if flow.step is Step.RETRYING:
                flow.handle(TimerFired(flow.timer_token))
    assert flow.step is Step.ERROR
    for event in (CardInserted(), CardProbed(CardStatus(3)), PinEntered("1234"),
                  CardRemovedEvent(), TapFailed(ErrorKind.CARD_ERROR)):
        assert flow.handle(event) == []
        assert flow.step is Step.ERROR


def test_an_intent_of_another_mode_is_ignored_and_an_unknown_event_refused() -> None:
    flow = make(Mode.REDEEM)
    assert flow.handle(AmountEntered(0, 10)) == []
    assert flow.handle(Decide("g", "x", "1", True)) == []
    assert flow.step is Step.CODE_ENTRY
    with pytest.raises(TypeError):
        flow.handle(object())  # type: ignore[arg-type]


def test_unknown_refusal_codes_fail_with_their_text_shown() -> None:
    flow = ready(Mode.PAY)
    send = sent(to_session(flow))
    flow.handle(Refused(send.entry.id, "something_new", "the platform's words"))
    assert (flow.step, flow.view.problem, flow.view.problem_detail) == (
        Step.FAILED, PointsErrorKind.REFUSED, "the platform's words")


def test_the_pin_never_shows_in_effects_or_views() -> None:
    for mode in CARD_MODES:
        flow = ready(mode, OFFICE) if mode in (Mode.PAY, Mode.GRANT, Mode.VOUCHER) else make(
            mode, OFFICE)
        if mode is Mode.CONFIRM_LINK:
            flow.handle(LinkEntered("2222222222"))  # the number comes before the card
        to_pin(flow)
        effects = flow.handle(PinEntered("9876"))
        assert "9876" not in repr(effects) and "9876" not in repr(flow.view)
