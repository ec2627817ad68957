"""Four eyes that are two people, and daily grant caps: attacks on the grant path.

Each refusal carries its own code and moves nothing."""

from __future__ import annotations

import uuid

from server.ledger import admin
from tests.unit.server.points_world import ALPHA, PointsWorld, grant_op
from tests.unit.server.staff_world import PIN_YAMADA, StaffWorld, make_staff_world


def available(points: PointsWorld, holder) -> int:  # type: ignore[no-untyped-def]
    balances = points.session(points.granter, holder).json()["balances"]
    return sum(b["available"] for b in balances if b["municipality_code"] == ALPHA)


def _held(staff: StaffWorld, amount: int = 20_000):  # type: ignore[no-untyped-def]
    holder, _ = staff.points.holder(1)
    response = staff.grant(staff.points.granter, holder, amount)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_approval"
    return holder, response.json()["id"]


def test_the_requester_cannot_approve_their_own_grant(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    same = staff.decide(staff.second, grant_id, "yamada")
    assert same.status_code == 403 and same.json()["error"] == "approval_same_staff"
    assert available(points, holder) == 0
    assert [g["id"] for g in points.granter.get("/v1/grants").json()] == [grant_id]


def test_an_approval_from_the_grants_own_terminal_is_refused(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    same_place = staff.decide(points.granter, grant_id, "suzuki")
    assert same_place.status_code == 403
    assert same_place.json()["error"] == "approval_same_terminal"
    assert available(points, holder) == 0


def test_a_second_account_on_a_second_terminal_approves(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    approved = staff.decide(staff.second, grant_id, "sato")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "granted"
    assert (body["requested_by"], body["decided_by"]) == ("yamada", "sato")
    assert available(points, holder) == 20_000
    assert points.problems() == []


def test_look_alike_logins_are_not_another_person(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    for login in ("yamada\u200b", "ｙａｍａｄａ", "Yamada", "yamada "):
        response = staff.decide(staff.second, grant_id, login, code=PIN_YAMADA)
        assert response.status_code in (400, 401, 403), (login, response.text)
        assert response.json()["error"] in (
            "malformed",
            "approval_same_staff",
            "staff_credential_invalid",
        )
    assert available(points, holder) == 0


def test_a_totp_code_is_accepted_once(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, first = _held(staff)
    _, second = _held(staff)
    code = staff.sato_totp.now()
    assert staff.decide(staff.second, first, "sato", code=code).status_code == 200
    replay = staff.decide(staff.second, second, "sato", code=code)
    assert replay.status_code == 401 and replay.json()["error"] == "staff_credential_invalid"
    assert [g["id"] for g in points.granter.get("/v1/grants").json()] == [second]


def test_a_wrong_pin_is_refused_and_repeated_failures_lock(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, _ = points.holder(1)
    wrong = staff.grant(points.granter, holder, 500, code="000000")
    assert wrong.status_code == 401 and wrong.json()["error"] == "staff_credential_invalid"
    for _ in range(5):
        staff.grant(points.granter, holder, 500, code="000000")
    locked = staff.grant(points.granter, holder, 500)  # the right PIN, while locked
    assert locked.status_code == 401 and locked.json()["error"] == "staff_credential_invalid"
    assert locked.json()["message"] == wrong.json()["message"]  # one answer for every failure
    assert available(points, holder) == 0


def test_staff_of_another_municipality_cannot_grant_or_approve(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    approval = staff.decide(staff.second, grant_id, "kato")
    assert approval.status_code == 403
    assert approval.json()["error"] == "staff_wrong_municipality"
    granted = staff.grant(points.granter, holder, 500, login="kato")
    assert granted.status_code == 403 and granted.json()["error"] == "staff_wrong_municipality"
    assert available(points, holder) == 0


def test_a_disabled_account_is_refused(points: PointsWorld) -> None:
    from server.staff import service

    staff = make_staff_world(points)
    holder, grant_id = _held(staff)
    points.db.transaction(lambda s: service.disable(s, "suzuki"))
    refused = staff.decide(staff.second, grant_id, "suzuki")
    assert refused.status_code == 401 and refused.json()["error"] == "staff_credential_invalid"
    assert available(points, holder) == 0


def test_a_typed_name_grants_nothing(points: PointsWorld) -> None:
    make_staff_world(points)
    holder, _ = points.holder(1)
    session_id = points.session_id(points.granter, holder, grant_op(500))
    body = {"id": str(uuid.uuid4()), "session_id": session_id, "points": 500,
            "reason": "volunteering", "staff": "山田"}  # fmt: skip
    response = points.granter.post("/v1/grants", body)
    assert response.status_code == 400 and response.json()["error"] == "malformed"
    assert available(points, holder) == 0


def test_a_grant_split_below_the_threshold_goes_to_approval(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    holder, _ = points.holder(1)
    statuses = [staff.grant(points.granter, holder, 9_999).json()["status"] for _ in range(10)]
    assert statuses == ["granted"] + ["awaiting_approval"] * 9
    assert available(points, holder) == 9_999


def test_daily_caps_per_holder_and_per_terminal(points: PointsWorld) -> None:
    staff = make_staff_world(points)
    points.db.transaction(
        lambda s: admin.set_rules(
            s, ALPHA, grant_cap_holder_day=3_000, grant_cap_terminal_day=5_000
        )
    )
    holder, _ = points.holder(1)
    assert staff.grant(points.granter, holder, 2_000).json()["status"] == "granted"
    over = staff.grant(points.granter, holder, 1_001)
    assert over.status_code == 403 and over.json()["error"] == "grant_cap_exceeded"
    other, _ = points.holder(2)
    assert staff.grant(points.granter, other, 3_000).json()["status"] == "granted"
    third, _ = points.holder(3)
    terminal_over = staff.grant(points.granter, third, 1)
    assert terminal_over.status_code == 403
    assert terminal_over.json()["error"] == "grant_cap_exceeded"
    assert staff.grant(staff.second, third, 1).json()["status"] == "granted"  # another kiosk
    assert available(points, holder) == 2_000
    assert points.problems() == []
