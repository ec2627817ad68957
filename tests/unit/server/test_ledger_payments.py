"""Payments at a shop through the API: hold, post, void, refund, idempotency, refusals."""

from __future__ import annotations

import uuid

from tests.unit.server.points_world import ALPHA, BETA, PointsWorld, pay_op


def pay(
    points: PointsWorld,
    session_id: str,
    amount: int,
    payment_id: str | None = None,
    municipality: str = ALPHA,
):  # type: ignore[no-untyped-def]
    return points.shop.post(
        "/v1/payments",
        {
            "id": payment_id or str(uuid.uuid4()),
            "session_id": session_id,
            "municipality_code": municipality,
            "amount": amount,
        },
    )


def test_the_card_session_shows_only_balances_usable_at_the_shop(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 4000, ALPHA)
    points.grant(mykey_id, 5000, BETA)
    response = points.session(points.shop, holder)
    assert response.status_code == 200, response.text
    balances = response.json()["balances"]
    assert [(b["municipality_code"], b["available"]) for b in balances] == [(ALPHA, 4000)]
    assert "mykey" not in response.text.lower()


def test_hold_then_post_moves_the_points_once(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 4000)
    session_id = points.session_id(points.shop, holder, pay_op(1500))
    held = pay(points, session_id, 1500)
    assert held.status_code == 200, held.text
    payment = held.json()
    assert payment["status"] == "held"
    again = points.session(points.shop, holder).json()["balances"][0]["available"]
    assert again == 2500  # held points cannot be spent twice
    post_id = str(uuid.uuid4())
    posted = points.shop.post(f"/v1/payments/{payment['id']}/post", {"id": post_id})
    assert posted.json()["status"] == "posted"
    replay = points.shop.post(f"/v1/payments/{payment['id']}/post", {"id": post_id})
    assert replay.status_code == 200 and replay.json()["status"] == "posted"
    voided = points.shop.post(f"/v1/payments/{payment['id']}/void", {"id": str(uuid.uuid4())})
    assert voided.status_code == 409 and voided.json()["error"] == "pending_resolved"
    assert points.session(points.shop, holder).json()["balances"][0]["available"] == 2500
    assert points.problems() == []


def test_void_releases_the_hold(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 1000)
    session_id = points.session_id(points.shop, holder, pay_op(1000))
    payment = pay(points, session_id, 1000).json()
    voided = points.shop.post(f"/v1/payments/{payment['id']}/void", {"id": str(uuid.uuid4())})
    assert voided.json()["status"] == "voided"
    assert points.session(points.shop, holder).json()["balances"][0]["available"] == 1000
    assert points.problems() == []


def test_a_replayed_payment_id_changes_nothing_and_another_request_is_a_conflict(
    points: PointsWorld,
) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 1000)
    session_id = points.session_id(points.shop, holder, pay_op(300))
    payment_id = str(uuid.uuid4())
    first = pay(points, session_id, 300, payment_id)
    second = pay(points, session_id, 300, payment_id)
    assert first.json() == second.json()
    conflict = pay(points, session_id, 301, payment_id)
    assert conflict.status_code == 409 and conflict.json()["error"] == "transfer_id_conflict"
    assert points.session(points.shop, holder).json()["balances"][0]["available"] == 700


def test_no_overspend_and_points_of_another_municipality_are_refused(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 100)
    points.grant(mykey_id, 100, BETA)
    session_id = points.session_id(points.shop, holder, pay_op(101))
    over = pay(points, session_id, 101)
    assert over.status_code == 409 and over.json()["error"] == "insufficient_points"
    session_id = points.session_id(points.shop, holder, pay_op(10))
    elsewhere = pay(points, session_id, 10, municipality=BETA)
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "not_usable_here"
    assert points.problems() == []


def test_refund_is_linked_and_never_exceeds_the_payment(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 1000)
    session_id = points.session_id(points.shop, holder, pay_op(600))
    payment = pay(points, session_id, 600).json()
    early = points.shop.post(
        f"/v1/payments/{payment['id']}/refunds", {"id": str(uuid.uuid4()), "amount": 1}
    )
    assert early.status_code == 409  # not posted yet
    points.shop.post(f"/v1/payments/{payment['id']}/post", {"id": str(uuid.uuid4())})
    refund = points.shop.post(
        f"/v1/payments/{payment['id']}/refunds", {"id": str(uuid.uuid4()), "amount": 400}
    )
    assert refund.status_code == 200, refund.text
    assert refund.json()["refunded_total"] == 400
    too_much = points.shop.post(
        f"/v1/payments/{payment['id']}/refunds", {"id": str(uuid.uuid4()), "amount": 201}
    )
    assert too_much.status_code == 409 and too_much.json()["error"] == "refund_exceeds_payment"
    assert points.session(points.shop, holder).json()["balances"][0]["available"] == 800
    assert points.problems() == []


def test_a_session_is_bound_to_its_terminal(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 1000)
    session_id = points.session_id(points.granter, holder)
    response = pay(points, session_id, 10)
    assert response.status_code == 401 and response.json()["error"] == "card_session_invalid"


def test_a_lookup_terminal_cannot_take_payments(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    desk = points.world.enroll("library", "desk")
    response = points.session(desk, holder)
    assert response.status_code == 403 and response.json()["error"] == "terminal_mode_not_allowed"
