"""32 payments at once against one holder account, through the served platform's HTTP API
(PostgreSQL, and SQLite too): no overspend, points conserved, refusals only for lack of
points."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.platform import PlatformServer
from tests.fixtures.points_platform import ALPHA, PointsPlatform, ShopTerminal, set_up_points

pytestmark = pytest.mark.integration

PAYERS = 24  # each its own card tap: within the card limit (30 proofs in 10 minutes)
AMOUNT = 700
INITIAL = 10 * AMOUNT + 300  # covers 10 of the 24 payments


@pytest.fixture
def points_platform(platform_server: PlatformServer, tmp_path: Path) -> Iterator[PointsPlatform]:
    platform = set_up_points(platform_server.database_url, platform_server.base_url)
    yield platform
    platform.close()


def _pay_at_once(
    platform: PointsPlatform, sessions: list[str], till: ShopTerminal
) -> list[tuple[str, int, str | None, int | None]]:
    """Every payer holds then posts at the same moment, each on its own connection and its
    own card tap; (payment id, hold status, hold error, post status) per payer."""
    start = threading.Barrier(PAYERS)
    outcomes: list[tuple[str, int, str | None, int | None]] = []
    lock = threading.Lock()

    def pay(session_id: str) -> None:
        payment_id = str(uuid.uuid4())
        with httpx.Client(timeout=120) as http:
            client = till.client(http, platform.base_url)
            body = {
                "id": payment_id,
                "session_id": session_id,
                "municipality_code": ALPHA,
                "amount": AMOUNT,
            }
            start.wait()
            held = client.post("/v1/payments", body)
            error = None if held.status_code == 200 else held.json().get("error")
            posted = None
            if held.status_code == 200:
                response = client.post(f"/v1/payments/{payment_id}/post", {"id": str(uuid.uuid4())})
                posted = response.status_code
                assert response.json()["status"] == "posted", response.text
        with lock:
            outcomes.append((payment_id, held.status_code, error, posted))

    threads = [threading.Thread(target=pay, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_parallel_payments_against_one_account_never_overspend(
    points_platform: PointsPlatform,
) -> None:
    platform = points_platform
    holder, mykey_id = platform.add_holder(INITIAL)
    till = platform.add_shop_terminal()
    with httpx.Client(timeout=30) as http:
        client = till.client(http, platform.base_url)
        sessions = [platform.session_id(client, holder, AMOUNT) for _ in range(PAYERS)]

    outcomes = _pay_at_once(platform, sessions, till)

    assert len(outcomes) == PAYERS
    paid = [o for o in outcomes if o[1] == 200]
    refused = [o for o in outcomes if o[1] != 200]
    assert all(o[3] == 200 for o in paid), outcomes
    assert {(o[1], o[2]) for o in refused} <= {(409, "insufficient_points")}, refused
    assert len(paid) * AMOUNT <= INITIAL
    # the row lock serialises the holds: every payment that fitted got through
    assert len(paid) == INITIAL // AMOUNT
    account = platform.account(mykey_id)
    assert account.balance == INITIAL - len(paid) * AMOUNT
    assert account.debits_pending == 0
    assert set(platform.transfers([o[0] for o in outcomes])) == {o[0] for o in paid}
    assert platform.problems() == []
