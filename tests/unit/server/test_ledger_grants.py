"""Administrative point grants from a staff terminal, and the second staff account's approval
at another terminal (attacks on both: test_staff_attacks.py)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.unit.server.points_world import ALPHA, PointsWorld, grant_op
from tests.unit.server.staff_world import PIN_SUZUKI, PIN_YAMADA, StaffWorld, make_staff_world


@pytest.fixture
def staff(points: PointsWorld) -> StaffWorld:
    return make_staff_world(points)


def grant(
    points: PointsWorld,
    session_id: str,
    amount: int,
    login: str = "yamada",
    grant_id: str | None = None,
) -> httpx.Response:
    return points.granter.post(
        "/v1/grants",
        {
            "id": grant_id or str(uuid.uuid4()),
            "session_id": session_id,
            "points": amount,
            "reason": "volunteering",
            "staff_login": login,
            "staff_code": PIN_YAMADA,
        },
    )


def available(points: PointsWorld, holder) -> int:  # type: ignore[no-untyped-def]
    balances = points.session(points.granter, holder).json()["balances"]
    return sum(b["available"] for b in balances if b["municipality_code"] == ALPHA)


def test_a_small_grant_is_credited_at_once(points: PointsWorld, staff: StaffWorld) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(500))
    response = grant(points, session_id, 500)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "granted"
    assert response.json()["reason"] == "volunteering"
    assert available(points, holder) == 500
    assert points.problems() == []


def test_a_large_grant_waits_for_another_staff_account(
    points: PointsWorld, staff: StaffWorld
) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(20_000))
    response = grant(points, session_id, 20_000)
    assert response.json()["status"] == "awaiting_approval"
    assert available(points, holder) == 0
    waiting = points.granter.get("/v1/grants?status=awaiting_approval").json()
    assert [g["id"] for g in waiting] == [response.json()["id"]]
    grant_id = response.json()["id"]
    same = staff.decide(staff.second, grant_id, "yamada")
    assert same.status_code == 403 and same.json()["error"] == "approval_same_staff"
    decision = {"id": str(uuid.uuid4()), "staff_login": "suzuki", "staff_code": PIN_SUZUKI,
                "approve": True}  # fmt: skip
    approved = staff.second.post(f"/v1/grants/{grant_id}/decision", decision)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "granted" and approved.json()["decided_by"] == "suzuki"
    replay = staff.second.post(f"/v1/grants/{grant_id}/decision", decision)
    assert replay.status_code == 200 and replay.json()["status"] == "granted"
    again = staff.decide(staff.second, grant_id, "sato", approve=False)
    assert again.status_code == 409
    assert available(points, holder) == 20_000
    assert points.granter.get("/v1/grants").json() == []
    assert points.problems() == []


def test_a_rejected_grant_credits_nothing(points: PointsWorld, staff: StaffWorld) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(50_000))
    grant_id = grant(points, session_id, 50_000).json()["id"]
    rejected = staff.decide(staff.second, grant_id, "sato", approve=False)
    assert rejected.json()["status"] == "rejected"
    assert available(points, holder) == 0
    assert points.problems() == []


def test_a_replayed_grant_is_granted_once(points: PointsWorld, staff: StaffWorld) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(700))
    grant_id = str(uuid.uuid4())
    assert grant(points, session_id, 700, grant_id=grant_id).status_code == 200
    assert grant(points, session_id, 700, grant_id=grant_id).status_code == 200
    conflict = grant(points, session_id, 701, grant_id=grant_id)
    assert conflict.status_code == 409 and conflict.json()["error"] == "transfer_id_conflict"
    assert available(points, holder) == 700


def test_a_shop_terminal_cannot_grant(points: PointsWorld, staff: StaffWorld) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.shop, holder)  # a look at the balances
    response = points.shop.post(
        "/v1/grants",
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "points": 5,
            "reason": "health",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
    )
    assert response.status_code == 403 and response.json()["error"] == "terminal_mode_not_allowed"


def test_malformed_grants_are_refused_with_a_reason(points: PointsWorld, staff: StaffWorld) -> None:
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder)
    for body in (
        {
            "id": "not-a-uuid",
            "session_id": session_id,
            "points": 5,
            "reason": "health",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "points": -5,
            "reason": "health",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "points": 5,
            "reason": "bribe",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "points": 5,
            "reason": "health",
            "staff_login": "",
            "staff_code": PIN_YAMADA,
        },
    ):
        response = points.granter.post("/v1/grants", body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "malformed"
    assert available(points, holder) == 0


def test_a_lost_answer_is_asked_again_with_a_spent_totp_code(
    points: PointsWorld, staff: StaffWorld
) -> None:
    """The exact replay of a grant already done answers as before, without a second check
    of the (now spent) TOTP code; another grant with that code is refused."""
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(300))
    code = staff.sato_totp.now()
    body = {"id": str(uuid.uuid4()), "session_id": session_id, "points": 300,
            "reason": "volunteering", "staff_login": "sato", "staff_code": code}  # fmt: skip
    first = points.granter.post("/v1/grants", body)
    assert first.status_code == 200, first.text
    again = points.granter.post("/v1/grants", body)
    assert again.status_code == 200 and again.json() == first.json()
    other = staff.grant(points.granter, holder, 200, login="sato", code=code)
    assert other.status_code == 401 and other.json()["error"] == "staff_credential_invalid"
    assert available(points, holder) == 300
