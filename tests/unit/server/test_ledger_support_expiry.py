"""Support points (conversion by a supporter's API key, assignment, automatic assignment)
and the expiry of points past their validity."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from server.db import utcnow
from server.ledger import admin, holders
from server.ledger.expiry import run_due
from tests.unit.server.points_world import ALPHA, BETA, PointsWorld, pay_op


def convert(
    points: PointsWorld,
    mykey_id: str,
    amount: int,
    key: str | None = None,
    conversion_id: str | None = None,
) -> httpx.Response:
    return points.world.client.post(
        "/v1/conversions",
        json={
            "id": conversion_id or str(uuid.uuid4()),
            "mykey_id": mykey_id,
            "points": amount,
            "reference": "order-1",
        },
        headers={"Authorization": f"Bearer {key or points.supporter_key}"},
    )


def test_a_supporter_credits_reserved_points_once(points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    conversion_id = str(uuid.uuid4())
    first = convert(points, mykey_id, 800, conversion_id=conversion_id)
    assert first.status_code == 200, first.text
    assert convert(points, mykey_id, 800, conversion_id=conversion_id).json() == first.json()
    pk = points.mykey_pk(mykey_id)
    assert points.db.transaction(lambda s: holders.reserved_points(s, pk)) == 800
    assert points.problems() == []


def test_conversion_needs_a_valid_key_and_a_known_mykey_id(points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    forged = convert(points, mykey_id, 10, key="mks_forged")
    assert forged.status_code == 401 and forged.json()["error"] == "supporter_key_invalid"
    missing = points.world.client.post(
        "/v1/conversions",
        json={"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": 1, "reference": "r"},
    )
    assert missing.status_code == 401
    unknown = convert(points, "ZZZZ9999", 10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_registered"


def test_assignment_moves_reserved_points_to_a_municipality(points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    convert(points, mykey_id, 1000)
    pk = points.mykey_pk(mykey_id)
    transfer_id = uuid.uuid4()
    points.db.transaction(lambda s: holders.assign_reserved(s, pk, BETA, 600, transfer_id))
    points.db.transaction(
        lambda s: holders.assign_reserved(s, pk, BETA, 600, transfer_id)
    )  # replay
    lines = points.db.transaction(lambda s: holders.balances(s, pk))
    assert {(b.kind, b.municipality_code, b.balance) for b in lines} == {
        ("regular", BETA, 600),
        ("reserved", "", 400),
    }
    assert points.problems() == []


def test_unassigned_points_move_to_the_default_account_after_the_period(
    points: PointsWorld,
) -> None:
    _, mykey_id = points.holder(1)
    pk = points.mykey_pk(mykey_id)
    convert(points, mykey_id, 300)
    assert run_due(points.db, utcnow()).points_auto_assigned == 0
    assert run_due(points.db, utcnow() + dt.timedelta(days=91)).holders_without_default == 1
    points.db.transaction(lambda s: holders.set_default_municipality(s, pk, ALPHA))
    points.db.transaction(lambda s: admin.set_rules(s, ALPHA, assign_after_days=30))
    assert run_due(points.db, utcnow() + dt.timedelta(days=29)).points_auto_assigned == 0
    assert run_due(points.db, utcnow() + dt.timedelta(days=31)).points_auto_assigned == 300
    assert run_due(points.db, utcnow() + dt.timedelta(days=32)).points_auto_assigned == 0
    lines = points.db.transaction(lambda s: holders.balances(s, pk))
    assert [(b.kind, b.municipality_code, b.balance) for b in lines] == [("regular", ALPHA, 300)]
    assert points.problems() == []


def test_points_expire_first_expiring_first(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    pk = points.mykey_pk(mykey_id)
    points.db.transaction(lambda s: admin.set_rules(s, ALPHA, points_valid_days=10))
    points.grant(mykey_id, 100)  # expires in 10 days
    points.db.transaction(lambda s: admin.set_rules(s, ALPHA, points_valid_days=365))
    points.grant(mykey_id, 50)  # expires in a year
    session_id = points.session_id(points.shop, holder, pay_op(60))
    payment = points.shop.post(
        "/v1/payments",
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "municipality_code": ALPHA,
            "amount": 60,
        },
    ).json()
    points.shop.post(f"/v1/payments/{payment['id']}/post", {"id": str(uuid.uuid4())})
    line = points.db.transaction(lambda s: holders.balances(s, pk))[0]
    assert (line.balance, line.expiring_points) == (90, 40)  # 60 of the first 100 were spent
    report = run_due(points.db, utcnow() + dt.timedelta(days=11))
    assert (report.accounts_expired, report.points_expired) == (1, 40)
    assert run_due(points.db, utcnow() + dt.timedelta(days=12)).points_expired == 0
    history = points.db.transaction(lambda s: holders.history(s, pk))
    assert [h.code for h in history][:1] == ["expiry"] and history[0].amount == -40
    assert points.problems() == []


def test_a_held_payment_past_its_timeout_is_released_by_the_job(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 100)
    session_id = points.session_id(points.shop, holder, pay_op(100))
    payment = points.shop.post(
        "/v1/payments",
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "municipality_code": ALPHA,
            "amount": 100,
        },
    ).json()
    assert run_due(points.db, utcnow() + dt.timedelta(minutes=6)).holds_voided == 1
    late = points.shop.post(f"/v1/payments/{payment['id']}/post", {"id": str(uuid.uuid4())})
    assert late.status_code == 409 and late.json()["error"] == "pending_resolved"
    assert points.problems() == []
