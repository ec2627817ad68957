"""The points outbox: written before sending, retried with the same id, never doubled."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.client import PlatformRefusal
from app.points.outbox import (
    REDACTED,
    EntryState,
    Operation,
    Outbox,
    OutboxConflict,
    make_entry,
)
from app.points.sending import Outcome, replay_pending, send
from app.ports import ErrorKind, TapError
from server.api.schemas import (
    ApprovalRequest,
    Grant,
    GrantRequestBody,
    Payment,
    PaymentRequest,
    PaymentStatus,
    RedeemRequest,
    Redemption,
    Refund,
    RefundRequest,
    ResolveRequest,
    VoucherInfo,
    VoucherRequest,
)

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)


class Ledger:
    """A fake platform: idempotent by id, like the real one; ``cut`` loses answers."""

    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.calls: list[str] = []
        #: "before": the request never arrives; "after": it is applied, the answer lost
        self.cut: str | None = None
        self.refuse: PlatformRefusal | None = None

    def create_payment(self, request: PaymentRequest) -> Payment:
        self.calls.append(request.id)
        if self.refuse is not None:
            raise self.refuse
        if self.cut == "before":
            raise TapError(ErrorKind.PLATFORM_UNREACHABLE, "connection refused")
        payment = self.payments.setdefault(request.id, Payment(
            id=request.id, status=PaymentStatus.HELD, amount=request.amount,
            municipality_code=request.municipality_code, shop_code="S1", created_at=NOW))
        if self.cut == "after":
            raise TapError(ErrorKind.PLATFORM_UNREACHABLE, "connection reset")
        return payment

    def post_payment(self, payment_id: str, request: ResolveRequest) -> Payment:
        self.calls.append(request.id)
        held = self.payments[payment_id]
        self.payments[payment_id] = held.model_copy(update={"status": PaymentStatus.POSTED})
        return self.payments[payment_id]

    def void_payment(self, payment_id: str, request: ResolveRequest) -> Payment:
        raise NotImplementedError

    def refund_payment(self, payment_id: str, request: RefundRequest) -> Refund:
        raise NotImplementedError

    def create_grant(self, request: GrantRequestBody) -> Grant:
        raise NotImplementedError

    def decide_grant(self, grant_id: str, request: ApprovalRequest) -> Grant:
        raise NotImplementedError

    def issue_voucher(self, request: VoucherRequest) -> VoucherInfo:
        self.calls.append(request.id)
        return VoucherInfo(number="V-1", amount=request.points, municipality_code="14130",
                           municipality_name="α市", valid_until=NOW)

    def redeem_voucher(self, request: RedeemRequest) -> Redemption:
        raise NotImplementedError


def payment(amount: int = 500) -> PaymentRequest:
    return PaymentRequest(id=str(uuid.uuid4()), session_id="s", municipality_code="14130",
                          amount=amount)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox.in_home(tmp_path)


def test_the_request_is_written_before_it_is_sent(outbox: Outbox) -> None:
    ledger = Ledger()
    entry = make_entry(Operation.PAYMENT, payment())
    seen: list[EntryState | None] = []

    def create(request: PaymentRequest) -> Payment:
        record = outbox.get(request.id)
        seen.append(None if record is None else record.state)
        return Ledger.create_payment(ledger, request)

    ledger.create_payment = create  # type: ignore[method-assign]
    result = send(outbox, ledger, entry)
    assert seen == [EntryState.PENDING]
    assert result.outcome is Outcome.ANSWERED
    record = outbox.get(entry.id)
    assert record is not None and record.state is EntryState.DONE and record.status == 200
    assert entry.endpoint == "/v1/payments"


def test_a_cut_after_the_platform_applied_it_retries_the_same_id(outbox: Outbox) -> None:
    ledger = Ledger()
    entry = make_entry(Operation.PAYMENT, payment(700))
    ledger.cut = "after"
    first = send(outbox, ledger, entry)
    assert first.outcome is Outcome.UNREACHABLE
    assert [e.id for e in outbox.pending()] == [entry.id]
    ledger.cut = None
    again = send(outbox, ledger, entry)
    assert again.outcome is Outcome.ANSWERED
    assert ledger.calls == [entry.id, entry.id]  # the same id both times
    assert len(ledger.payments) == 1
    assert outbox.pending() == []
    record = outbox.get(entry.id)
    assert record is not None and record.attempts == 1


def test_an_answered_entry_is_never_sent_again(outbox: Outbox) -> None:
    ledger = Ledger()
    entry = make_entry(Operation.PAYMENT, payment())
    send(outbox, ledger, entry)
    result = send(outbox, ledger, entry)
    assert result.outcome is Outcome.ANSWERED
    assert isinstance(result.answer, Payment) and result.answer.id == entry.id
    assert ledger.calls == [entry.id]


def test_a_4xx_is_definite_and_a_5xx_is_not(outbox: Outbox) -> None:
    ledger = Ledger()
    ledger.refuse = PlatformRefusal(ErrorKind.PLATFORM_ERROR, code="insufficient_points",
                                    message="10 < 500: a: b", status=409)
    entry = make_entry(Operation.PAYMENT, payment())
    result = send(outbox, ledger, entry)
    assert (result.outcome, result.code) == (Outcome.REFUSED, "insufficient_points")
    assert outbox.pending() == []
    stored = send(outbox, ledger, entry)  # the stored refusal, without sending
    assert (stored.outcome, stored.code, stored.detail) == (
        Outcome.REFUSED, "insufficient_points", "10 < 500: a: b")
    assert len(ledger.calls) == 1

    ledger.refuse = PlatformRefusal(ErrorKind.PLATFORM_ERROR, code="internal", message="boom",
                                    status=500)
    other = make_entry(Operation.PAYMENT, payment())
    assert send(outbox, ledger, other).outcome is Outcome.UNREACHABLE
    assert [e.id for e in outbox.pending()] == [other.id]


def test_the_same_id_with_another_request_is_a_conflict(outbox: Outbox) -> None:
    request = payment(100)
    outbox.record(make_entry(Operation.PAYMENT, request))
    with pytest.raises(OutboxConflict):
        outbox.record(make_entry(Operation.PAYMENT, request.model_copy(update={"amount": 200})))


def test_replay_sends_pending_entries_oldest_first_and_stops_while_offline(
    outbox: Outbox,
) -> None:
    ledger = Ledger()
    first = make_entry(Operation.PAYMENT, payment(1), now=NOW)
    second = make_entry(Operation.PAYMENT, payment(2), now=NOW + dt.timedelta(seconds=1))
    outbox.record(second)
    outbox.record(first)
    ledger.cut = "before"
    assert [r.outcome for r in replay_pending(outbox, ledger)] == [Outcome.UNREACHABLE]
    assert ledger.calls == [first.id]
    ledger.cut = None
    results = replay_pending(outbox, ledger)
    assert [r.entry_id for r in results] == [first.id, second.id]
    assert outbox.pending() == []


def test_a_post_goes_to_its_payment(outbox: Outbox) -> None:
    ledger = Ledger()
    held = payment()
    send(outbox, ledger, make_entry(Operation.PAYMENT, held))
    post = make_entry(Operation.PAYMENT_POST, ResolveRequest(id=str(uuid.uuid4())),
                      target=held.id)
    assert post.endpoint == f"/v1/payments/{held.id}/post"
    result = send(outbox, ledger, post)
    assert isinstance(result.answer, Payment) and result.answer.status is PaymentStatus.POSTED


def test_the_voucher_code_is_kept_until_printed(outbox: Outbox, tmp_path: Path) -> None:
    code = "A" * 32
    entry = make_entry(Operation.VOUCHER,
                       VoucherRequest(id=str(uuid.uuid4()), session_id="s", points=100, code=code))
    send(outbox, Ledger(), entry)
    record = outbox.get(entry.id)
    assert record is not None and code in record.entry.request
    outbox.forget_secret(entry.id)
    record = outbox.get(entry.id)
    assert record is not None and json.loads(record.entry.request)["code"] == REDACTED
    assert code.encode() not in (tmp_path / "outbox.sqlite3").read_bytes()
    assert outbox.record(entry).state is EntryState.DONE  # still the same intent


CRASH = """
import sys, uuid
from pathlib import Path
from app.points.outbox import Operation, Outbox, make_entry
from server.api.schemas import PaymentRequest
outbox = Outbox.in_home(Path(sys.argv[1]))
request = PaymentRequest(id=sys.argv[2], session_id="s", municipality_code="14130", amount=300)
outbox.record(make_entry(Operation.PAYMENT, request))
import os
os._exit(9)  # the terminal dies between writing and sending
"""


def test_a_crash_between_write_and_send_is_replayed_at_start_up(tmp_path: Path) -> None:
    transfer_id = str(uuid.uuid4())
    done = subprocess.run([sys.executable, "-c", CRASH, str(tmp_path), transfer_id],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 9, done.stderr
    outbox = Outbox.in_home(tmp_path)  # the next start-up
    assert [e.id for e in outbox.pending()] == [transfer_id]
    ledger = Ledger()
    results = replay_pending(outbox, ledger)
    assert [(r.entry_id, r.outcome) for r in results] == [(transfer_id, Outcome.ANSWERED)]
    assert ledger.calls == [transfer_id]
    assert list(ledger.payments) == [transfer_id]
    assert replay_pending(outbox, ledger) == []
