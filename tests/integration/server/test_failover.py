"""The database fails over under payment load: a synchronous standby is promoted after the
primary is killed (SIGKILL), and the platform — given both hosts with
``target_session_attrs=read-write`` — reconnects by itself. Afterwards every acknowledged
transfer is on the new primary, nothing is doubled, and every ledger sums to zero.

The clients behave as counters do: each payment is one card tap (challenge, card
session), a hold and a post, each sent again with its own id until it is answered.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.fixtures.platform import start_platform
from tests.fixtures.points_platform import ALPHA, PointsPlatform, ShopTerminal, set_up_points
from tests.fixtures.postgres_ha import ReplicatedPair, replicated_pair
from tests.integration.server.test_ledger_crash import _assert_holds_consistent
from tests.unit.server.certs import Holder

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

CLIENTS = 4
AMOUNT = 10
INITIAL = 1_000_000
BEFORE_KILL = 30  # payments acknowledged before the primary dies
AFTER_PROMOTION = 30  # and after the standby took over, with no restart of the platform
SAFETY_WAIT_S = 120  # only against a hang; never asserted on


@dataclass
class Ledger:
    """What the clients were told: acknowledged payments and posts, per holder."""

    holds: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    paid: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[str] = field(default_factory=list)

    def payment(self, mykey_id: str, hold: str, post: str) -> None:
        with self.lock:
            self.holds.append(hold)
            self.posts.append(post)
            self.paid[mykey_id] = self.paid.get(mykey_id, 0) + AMOUNT

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.posts)


def until_answered(send: Callable[[], httpx.Response], stop_at: float) -> httpx.Response:
    """``send`` again while the platform cannot answer (no connection, 5xx): as the
    counter's outbox does, with the same request."""
    while True:
        try:
            response = send()
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code < 500:
            return response
        if time.monotonic() > stop_at:
            raise TimeoutError("the platform never answered again")
        time.sleep(0.2)


def customer(
    platform: PointsPlatform, base_url: str, till: ShopTerminal, holder: Holder, mykey_id: str,
    ledger: Ledger, stop: threading.Event,
) -> None:  # fmt: skip
    """Pay AMOUNT again and again, one tap per payment, until ``stop``."""
    stop_at = time.monotonic() + SAFETY_WAIT_S
    try:
        with httpx.Client(timeout=10) as http:
            client = till.client(http, base_url)
            while not stop.is_set():
                tapped = until_answered(lambda: platform.tap(client, holder, AMOUNT), stop_at)
                assert tapped.status_code == 200, tapped.text
                payment_id, post_id = str(uuid.uuid4()), str(uuid.uuid4())
                hold = {"id": payment_id, "session_id": tapped.json()["session_id"],
                        "municipality_code": ALPHA, "amount": AMOUNT}  # fmt: skip
                held = until_answered(partial(client.post, "/v1/payments", hold), stop_at)
                assert held.status_code == 200, held.text
                path = f"/v1/payments/{payment_id}/post"
                posted = until_answered(partial(client.post, path, {"id": post_id}), stop_at)
                assert posted.status_code == 200 and posted.json()["status"] == "posted"
                ledger.payment(mykey_id, payment_id, post_id)
    except Exception as exc:  # reported by the test, not lost in a thread
        ledger.failures.append(f"{type(exc).__name__}: {exc}")


@pytest.fixture
def pair() -> Iterator[ReplicatedPair]:
    with replicated_pair() as started:
        yield started


def wait_for(condition: Callable[[], bool], ledger: Ledger) -> None:
    deadline = time.monotonic() + SAFETY_WAIT_S
    while not condition():
        assert not ledger.failures, ledger.failures
        assert time.monotonic() < deadline, "the load stalled"
        time.sleep(0.05)


def test_a_failover_under_payment_load_loses_and_doubles_nothing(
    pair: ReplicatedPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYKEY_PLATFORM_RATE_LIMITS", "off")  # a card tapped in a loop
    url = pair.create_database("mykey")
    with start_platform(url, tmp_path) as server:
        platform = set_up_points(url, server.base_url)
        till = platform.add_shop_terminal()
        holders = [platform.add_holder(INITIAL) for _ in range(CLIENTS)]
        ledger, stop = Ledger(), threading.Event()
        threads = [
            threading.Thread(target=customer, args=(platform, server.base_url, till, holder,
                                                    mykey_id, ledger, stop))
            for holder, mykey_id in holders
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: ledger.count >= BEFORE_KILL, ledger)
            pair.kill_primary()
            at_kill = ledger.count
            time.sleep(0.5)  # requests meet a dead primary, then a read-only standby
            pair.promote_standby()
            wait_for(lambda: ledger.count >= at_kill + AFTER_PROMOTION, ledger)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=SAFETY_WAIT_S)
        assert not any(thread.is_alive() for thread in threads)
        assert not ledger.failures, ledger.failures

        platform.db.dispose()  # its pool knew the old primary
        assert pair.psql(pair.standby, "SELECT pg_is_in_recovery()") == "f"
        found = platform.transfers(ledger.holds + ledger.posts)
        acknowledged = set(ledger.holds) | set(ledger.posts)
        assert set(found) == acknowledged, "an acknowledged transfer is lost"
        _assert_holds_consistent(platform)  # every hold resolved once: nothing doubled
        assert platform.problems() == []  # every ledger sums to zero, no holder below zero
        for _, mykey_id in holders:
            account = platform.account(mykey_id)
            assert account.debits_posted == ledger.paid.get(mykey_id, 0)
            assert account.debits_pending == 0
        platform.close()
