"""One card tap, one operation: attacks on the points session (issue 12).

A clerk (or a stolen till) who has a patron's card session must not be able to do more
than the patron's tap was for: a second payment, a larger amount, a grant above what the
card signed, a voucher from a payment's session.  Each refusal changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

import httpx
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.ledger import admin
from server.staff.service import add_staff, list_staff
from tests.unit.server.certs import Holder
from tests.unit.server.points_world import ALPHA, SHOP, PointsWorld
from tests.unit.server.signing import SignedClient
from tests.unit.server.staff_world import PIN_YAMADA
from tests.unit.server.world import b64, challenge

DOMAIN = b"MyKey-Platform card operation v1\x00"


def payment_op(amount: int) -> dict[str, Any]:
    return {"kind": "payment", "points": amount}


def grant_op(points: int, reason: str = "volunteering") -> dict[str, Any]:
    return {"kind": "grant", "points": points, "reason": reason}


def voucher_op(points: int) -> dict[str, Any]:
    return {"kind": "voucher", "points": points}


def tap_for(terminal: SignedClient, holder: Holder, operation: dict[str, Any]) -> httpx.Response:
    """The counter's side of a tap for ``operation``: its challenge, signed by the card."""
    asked = terminal.post("/v1/challenges", {"operation": operation})
    assert asked.status_code == 200, asked.text
    body = asked.json()
    value = base64.b64decode(body["challenge"])
    return terminal.post(
        "/v1/card-sessions",
        {
            "challenge_id": body["challenge_id"],
            "certificate": b64(holder.der),
            "signature": b64(holder.sign(value)),
        },
    )


def session_for(terminal: SignedClient, holder: Holder, operation: dict[str, Any]) -> str:
    response = tap_for(terminal, holder, operation)
    assert response.status_code == 200, response.text
    return str(response.json()["session_id"])


def pay(points: PointsWorld, session_id: str, amount: int, payment_id: str | None = None):  # type: ignore[no-untyped-def]
    return points.shop.post(
        "/v1/payments",
        {
            "id": payment_id or str(uuid.uuid4()),
            "session_id": session_id,
            "municipality_code": ALPHA,
            "amount": amount,
        },
    )


def _granting_staff(session: Session) -> None:
    """The staff account these grants are made by (added once)."""
    if not list_staff(session, ALPHA):
        add_staff(session, "yamada", "山田", ALPHA, pin=PIN_YAMADA)


def grant(points: PointsWorld, session_id: str, amount: int, reason: str = "volunteering"):  # type: ignore[no-untyped-def]
    points.db.transaction(_granting_staff)
    return points.granter.post(
        "/v1/grants",
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "points": amount,
            "reason": reason,
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
    )


def available(points: PointsWorld, terminal: SignedClient, holder: Holder) -> int:
    opened = tap_for(terminal, holder, {"kind": "balance"})
    assert opened.status_code == 200, opened.text
    balances = opened.json()["balances"]
    return int(balances[0]["available"]) if balances else 0


def test_the_card_signs_a_challenge_derived_from_the_operation(points: PointsWorld) -> None:
    asked = points.shop.post("/v1/challenges", {"operation": payment_op(500)})
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["operation"] == {"kind": "payment", "points": 500, "place": f"shop:{SHOP}"}
    canonical = json.dumps(body["operation"], sort_keys=True, separators=(",", ":")).encode()
    expected = hashlib.sha256(DOMAIN + base64.b64decode(body["nonce"]) + canonical).digest()
    assert base64.b64decode(body["challenge"]) == expected


def test_two_payments_on_one_tap_the_second_is_refused(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 5000)
    session_id = session_for(points.shop, holder, payment_op(500))
    first = pay(points, session_id, 500)
    assert first.status_code == 200, first.text
    second = pay(points, session_id, 500)
    assert second.status_code == 409, second.text
    assert second.json()["error"] == "card_session_spent"
    assert "tap the card again" in second.json()["message"]
    assert available(points, points.shop, holder) == 4500  # the first hold only
    assert points.problems() == []


def test_a_retry_of_the_sessions_payment_answers_its_first_result(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 5000)
    session_id = session_for(points.shop, holder, payment_op(500))
    payment_id = str(uuid.uuid4())
    first = pay(points, session_id, 500, payment_id)
    again = pay(points, session_id, 500, payment_id)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    posted = points.shop.post(f"/v1/payments/{first.json()['id']}/post", {"id": str(uuid.uuid4())})
    assert posted.status_code == 200 and posted.json()["status"] == "posted"
    assert available(points, points.shop, holder) == 4500


def test_a_proof_for_500_points_cannot_carry_50000(points: PointsWorld) -> None:
    points.db.transaction(
        lambda session: admin.set_rules(session, ALPHA, grant_approval_over=100_000)
    )
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 60_000)
    session_id = session_for(points.shop, holder, payment_op(500))
    large = pay(points, session_id, 50_000)
    assert large.status_code == 403, large.text
    assert large.json()["error"] == "operation_mismatch"
    assert available(points, points.shop, holder) == 60_000
    # the session's own operation is still there to be done
    assert pay(points, session_id, 500).status_code == 200


def test_a_grant_above_what_the_card_signed_is_refused(points: PointsWorld) -> None:
    holder, _ = points.holder(1)
    session_id = session_for(points.granter, holder, grant_op(1000))
    larger = grant(points, session_id, 9000)
    assert larger.status_code == 403 and larger.json()["error"] == "operation_mismatch"
    other_reason = grant(points, session_id, 1000, reason="health")
    assert other_reason.status_code == 403
    assert other_reason.json()["error"] == "operation_mismatch"
    assert available(points, points.granter, holder) == 0
    done = grant(points, session_id, 1000)
    assert done.status_code == 200, done.text
    twice = grant(points, session_id, 1000)
    assert twice.status_code == 409 and twice.json()["error"] == "card_session_spent"
    assert available(points, points.granter, holder) == 1000


def test_a_payment_session_cannot_issue_a_voucher(points: PointsWorld) -> None:
    def both_modes(session: Session) -> None:
        admin.allow_terminal(
            session, points.shop.terminal_id, TerminalMode.VOUCHER, municipality_code=ALPHA
        )

    points.db.transaction(both_modes)
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 3000)
    session_id = session_for(points.shop, holder, payment_op(1000))
    voucher = points.shop.post(
        "/v1/vouchers",
        {"id": str(uuid.uuid4()), "session_id": session_id, "points": 1000,
         "code": "A" * 32},
    )
    assert voucher.status_code == 403, voucher.text
    assert voucher.json()["error"] == "operation_mismatch"
    assert available(points, points.shop, holder) == 3000


def test_a_balance_view_moves_nothing(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 3000)
    session_id = session_for(points.shop, holder, {"kind": "balance"})
    refused = pay(points, session_id, 100)
    assert refused.status_code == 403 and refused.json()["error"] == "operation_mismatch"
    assert available(points, points.shop, holder) == 3000


def test_a_lookup_challenge_does_not_open_a_points_session(points: PointsWorld) -> None:
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 3000)
    challenge_id, value = challenge(points.shop)  # no operation: a lookup's challenge
    opened = points.shop.post(
        "/v1/card-sessions",
        {"challenge_id": challenge_id, "certificate": b64(holder.der),
         "signature": b64(holder.sign(value))},
    )
    assert opened.status_code == 403, opened.text
    assert opened.json()["error"] == "operation_mismatch"


def test_an_operation_the_terminal_may_not_do_gets_no_challenge(points: PointsWorld) -> None:
    refused = points.shop.post("/v1/challenges", {"operation": grant_op(1000)})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "terminal_mode_not_allowed"
    malformed = points.shop.post("/v1/challenges", {"operation": {"kind": "payment"}})
    assert malformed.status_code == 400 and malformed.json()["error"] == "malformed"
