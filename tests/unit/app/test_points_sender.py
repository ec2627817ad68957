"""The points flows' one sender (app/points/flows/sender.py): an entry, its retries, its
answer — the same entry (and id) for every attempt of one intent."""

from __future__ import annotations

import datetime as dt

from app.flow_common import ScreenTimer
from app.points.errors import PointsErrorKind
from app.points.flows import Answered, Refused, Send, Unreachable
from app.points.flows.sender import BackOff, Declined, Delivered, GaveUp, Sender
from app.points.outbox import Operation, OutboxEntry, make_entry
from server.api.schemas import Payment, PaymentStatus, RedeemRequest

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
CODE = "c" * 32
PAYMENT = Payment(id="id-1", status=PaymentStatus.HELD, amount=5, municipality_code="14130",
                  shop_code="S1", created_at=NOW, hold_expires_at=NOW)


def sender(**options: object) -> Sender:
    values: dict[str, object] = {"retry_s": (0.5, 2.0), "max_attempts": 3, **options}
    return Sender(ScreenTimer(), **values)  # type: ignore[arg-type]


def entry(entry_id: str = "id-1") -> OutboxEntry:
    return make_entry(Operation.REDEEM, RedeemRequest(id=entry_id, code=CODE))


def test_sending_stops_the_screen_timer() -> None:
    out = sender()
    before = out.timer.start(120)
    first = entry()
    assert out.send(first) == Send(first)
    assert not out.timer.fired(before.token)
    assert (out.outgoing, out.attempts, out.waiting) == (first, 0, False)


def test_no_answer_backs_off_then_sends_the_same_entry() -> None:
    out, first = sender(), entry()
    out.send(first)
    reply = out.reply(Unreachable(first.id, "reset"))
    assert isinstance(reply, BackOff) and reply.timer.seconds == 0.5
    assert out.reply(Unreachable(first.id)) is None  # a late duplicate while waiting
    assert out.resend(reply.timer.token - 1) is None  # an older timer
    assert out.resend(reply.timer.token) == Send(first)  # the same entry, the same id
    assert out.resend(reply.timer.token) is None  # sent already
    again = out.reply(Unreachable(first.id))
    assert isinstance(again, BackOff) and again.timer.seconds == 2.0
    assert out.attempts == 2


def test_the_last_back_off_repeats_until_the_attempts_run_out() -> None:
    out, first = sender(retry_s=(1.0,), max_attempts=3), entry()
    out.send(first)
    for _ in range(2):
        reply = out.reply(Unreachable(first.id))
        assert isinstance(reply, BackOff) and reply.timer.seconds == 1.0
        out.resend(reply.timer.token)
    assert out.reply(Unreachable(first.id, "down")) == GaveUp(first, "down")
    assert out.outgoing is None  # left to the outbox, which replays it at the next start


def test_answers_and_refusals_settle_the_entry() -> None:
    out, first = sender(), entry()
    out.send(first)
    assert out.reply(Answered("other", PAYMENT)) is None
    assert out.reply(Answered(first.id, PAYMENT)) == Delivered(first, PAYMENT)
    assert out.outgoing is None
    assert out.reply(Answered(first.id, PAYMENT)) is None  # twice: stale

    second = entry("id-2")
    out.send(second)
    reply = out.reply(Unreachable(second.id))
    assert isinstance(reply, BackOff)
    # the answer of the attempt before arrives while the back-off runs: taken
    declined = out.reply(Refused(second.id, "voucher_used", "used on 3/31"))
    assert declined == Declined(second, PointsErrorKind.VOUCHER_USED, "used on 3/31")
    assert out.resend(reply.timer.token) is None


def test_a_refusal_is_read_by_its_code_alone() -> None:
    out, first = sender(), entry()
    out.send(first)
    declined = out.reply(Refused(first.id, None, "voucher_used: but no code"))
    assert declined == Declined(first, PointsErrorKind.REFUSED, "voucher_used: but no code")
