"""Point vouchers: issued from a holder's points, redeemed once at a shop, expired."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from server.db import utcnow
from server.ledger import admin
from server.ledger.expiry import run_due
from tests.unit.server.points_world import ALPHA, PointsWorld, voucher_op


def issue(points: PointsWorld, holder, amount: int, code: str, voucher_id: str | None = None):  # type: ignore[no-untyped-def]
    session_id = points.session_id(points.voucher_desk, holder, voucher_op(amount))
    return points.voucher_desk.post(
        "/v1/vouchers",
        {
            "id": voucher_id or str(uuid.uuid4()),
            "session_id": session_id,
            "points": amount,
            "code": code,
        },
    )


def redeem(points: PointsWorld, code: str, redeem_id: str | None = None):  # type: ignore[no-untyped-def]
    return points.shop.post(
        "/v1/vouchers/redeem", {"id": redeem_id or str(uuid.uuid4()), "code": code}
    )


def test_a_voucher_is_redeemed_once(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 3000)
    code = secrets.token_urlsafe(24)
    issued = issue(points, holder, 1000, code)
    assert issued.status_code == 200, issued.text
    info = issued.json()
    assert (
        info["amount"] == 1000 and info["municipality_name"] == "α市" and len(info["number"]) == 12
    )
    redeem_id = str(uuid.uuid4())
    first = redeem(points, code, redeem_id)
    assert first.status_code == 200, first.text
    assert first.json()["amount"] == 1000 and first.json()["number"] == info["number"]
    assert redeem(points, code, redeem_id).json() == first.json()  # a retry, not a second use
    second = redeem(points, code)
    assert second.status_code == 409 and second.json()["error"] == "voucher_used"
    assert points.problems() == []


def test_an_unknown_voucher_and_a_voucher_beyond_the_balance_are_refused(
    points: PointsWorld,
) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 100)
    unknown = redeem(points, secrets.token_urlsafe(24))
    assert unknown.status_code == 404 and unknown.json()["error"] == "voucher_invalid"
    too_big = issue(points, holder, 101, secrets.token_urlsafe(24))
    assert too_big.status_code == 409 and too_big.json()["error"] == "insufficient_points"
    short = issue(points, holder, 10, "short")
    assert short.status_code == 400


def test_an_expired_voucher_cannot_be_used_and_its_points_expire(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 500)
    points.db.transaction(lambda s: admin.set_rules(s, ALPHA, voucher_valid_days=0))
    code = secrets.token_urlsafe(24)
    assert issue(points, holder, 500, code).status_code == 200  # valid until now: expired
    late = redeem(points, code)
    assert late.status_code == 410 and late.json()["error"] == "voucher_expired"
    report = run_due(points.db, utcnow() + dt.timedelta(seconds=1))
    assert report.vouchers_expired == 1
    assert redeem(points, code).json()["error"] == "voucher_expired"
    assert run_due(points.db, utcnow() + dt.timedelta(seconds=1)).vouchers_expired == 0
    assert points.problems() == []
