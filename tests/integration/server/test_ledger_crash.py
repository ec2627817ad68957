"""The platform killed (SIGKILL) while payments are under way, on PostgreSQL: after a
restart on the same database every acknowledged transfer is there, none is half-applied,
and each unacknowledged request sent again with its id makes exactly one transfer."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.ledger.models import OpenPending, Transfer
from tests.fixtures.platform import PlatformServer, start_platform
from tests.fixtures.points_platform import ALPHA, PointsPlatform, ShopTerminal, set_up_points
from tests.unit.server.certs import Holder

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

CLIENTS = 8
AMOUNT = 10
INITIAL = 1_000_000
ACKNOWLEDGED_BEFORE_KILL = 80  # payments acknowledged (hold and post) before the kill
SAFETY_WAIT_S = 120  # only against a hang; never asserted on


@dataclass
class Sent:
    """One request a client sent: what, with which id, and whether it was acknowledged."""

    kind: str  # hold | post
    transfer_id: str
    payment_id: str
    body: dict[str, object]
    status: int | None = None  # None: no answer (connection lost)


@dataclass
class Load:
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    paid: int = 0
    enough: threading.Event = field(default_factory=threading.Event)

    def record(self, sent: Sent) -> None:
        with self.lock:
            self.sent.append(sent)
            if sent.kind == "post" and sent.status == 200:
                self.paid += 1
                if self.paid >= ACKNOWLEDGED_BEFORE_KILL:
                    self.enough.set()


def _send(client: httpx.Client, base_url: str, till: ShopTerminal, sent: Sent) -> Sent:
    path = "/v1/payments" if sent.kind == "hold" else f"/v1/payments/{sent.payment_id}/post"
    try:
        response = till.client(client, base_url).post(path, sent.body)
    except httpx.TransportError:
        return sent
    sent.status = response.status_code
    return sent


def _keep_paying(
    platform: PointsPlatform, base_url: str, till: ShopTerminal, holder: Holder, load: Load
) -> None:
    """Tap, hold and post payments (one card tap each) until the platform stops answering."""
    with httpx.Client(timeout=30) as http:
        while True:
            try:
                tapped = platform.tap(till.client(http, base_url), holder, AMOUNT)
            except httpx.TransportError:
                return
            if tapped.status_code != 200:
                return
            session_id = tapped.json()["session_id"]
            payment_id = str(uuid.uuid4())
            body = {
                "id": payment_id,
                "session_id": session_id,
                "municipality_code": ALPHA,
                "amount": AMOUNT,
            }
            hold = _send(http, base_url, till, Sent("hold", payment_id, payment_id, body))
            load.record(hold)
            if hold.status != 200:
                return
            post_id = str(uuid.uuid4())
            post = _send(http, base_url, till, Sent("post", post_id, payment_id, {"id": post_id}))
            load.record(post)
            if post.status != 200:
                return


@pytest.fixture
def crash_site(postgres_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield postgres_database_url, tmp_path


def _start(url: str, log_dir: Path, stack: contextlib.ExitStack) -> PlatformServer:
    return stack.enter_context(start_platform(url, log_dir))


def test_acknowledged_payments_survive_a_sigkill(crash_site: tuple[str, Path]) -> None:
    url, tmp_path = crash_site
    load = Load()
    with contextlib.ExitStack() as stack:
        server = _start(url, tmp_path, stack)
        platform = set_up_points(url, server.base_url)
        stack.callback(platform.close)
        till = platform.add_shop_terminal()
        payers = [platform.add_holder(INITIAL) for _ in range(CLIENTS)]
        threads = [
            threading.Thread(
                target=_keep_paying, args=(platform, server.base_url, till, holder, load)
            )
            for holder, _ in payers
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + SAFETY_WAIT_S
        while not load.enough.wait(0.1) and time.monotonic() < deadline:
            if not any(thread.is_alive() for thread in threads):
                break  # the clients stopped by themselves: asserted on below
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=SAFETY_WAIT_S)
        assert not any(thread.is_alive() for thread in threads)
        assert load.paid >= ACKNOWLEDGED_BEFORE_KILL, server.log()
        # every answer before the kill was a success; the kill left requests unanswered
        assert {s.status for s in load.sent} <= {200, None}
        unanswered = [s for s in load.sent if s.status is None]
        assert unanswered, "the kill should have caught requests in flight"

        restarted = _start(url, tmp_path, stack)
        acknowledged = [s for s in load.sent if s.status == 200]
        found = platform.transfers([s.transfer_id for s in acknowledged])
        assert set(found) == {s.transfer_id for s in acknowledged}, (
            "an acknowledged transfer is lost"
        )
        for sent in acknowledged:
            transfer = found[sent.transfer_id]
            if sent.kind == "hold":
                assert transfer.pending and transfer.amount == AMOUNT
            else:
                assert transfer.post_pending and str(transfer.pending_id) == sent.payment_id
        _assert_holds_consistent(platform)
        assert platform.problems() == []

        _send_again(platform, restarted.base_url, till, unanswered)
        _assert_holds_consistent(platform)
        assert platform.problems() == []
        for _, mykey_id in payers:
            account = platform.account(mykey_id)
            assert account.debits_pending + account.debits_posted <= INITIAL


def _send_again(
    platform: PointsPlatform, base_url: str, till: ShopTerminal, unanswered: list[Sent]
) -> None:
    """Each unanswered request again, twice, with its id: one transfer, the same answer."""
    with httpx.Client(timeout=30) as http:
        client = till.client(http, base_url)
        for sent in unanswered:
            path = "/v1/payments" if sent.kind == "hold" else f"/v1/payments/{sent.payment_id}/post"
            first = client.post(path, sent.body)
            again = client.post(path, sent.body)
            assert first.status_code == 200, first.text
            assert again.json() == first.json()
            assert first.json()["id"] == sent.payment_id
            assert first.json()["status"] == ("held" if sent.kind == "hold" else "posted")

    def count(transfer_id: str, session: Session) -> int:
        query = select(func.count()).select_from(Transfer)
        return int(session.scalar(query.where(Transfer.id == uuid.UUID(transfer_id))) or 0)

    def resolutions(payment_id: str, session: Session) -> list[str]:
        query = select(Transfer.id).where(Transfer.pending_id == uuid.UUID(payment_id))
        return [str(i) for i in session.scalars(query)]

    for sent in unanswered:
        assert platform.db.transaction(partial(count, sent.transfer_id)) == 1
        if sent.kind == "post":
            found = platform.db.transaction(partial(resolutions, sent.payment_id))
            assert found == [sent.transfer_id]


def _assert_holds_consistent(platform: PointsPlatform) -> None:
    """Every payment hold is open (with its open row, unresolved) or resolved exactly once."""

    def read(s: Session) -> tuple[list[Transfer], set[uuid.UUID], dict[uuid.UUID, int]]:
        holds = list(s.scalars(select(Transfer).where(Transfer.pending.is_(True))))
        open_ids = set(s.scalars(select(OpenPending.transfer_id)))
        resolutions: dict[uuid.UUID, int] = {}
        for row in s.scalars(select(Transfer).where(Transfer.pending_id.is_not(None))):
            assert row.pending_id is not None
            resolutions[row.pending_id] = resolutions.get(row.pending_id, 0) + 1
        return holds, open_ids, resolutions

    holds, open_ids, resolutions = platform.db.transaction(read)
    for hold in holds:
        resolved = resolutions.get(hold.id, 0)
        assert resolved <= 1
        assert (hold.id in open_ids) == (resolved == 0), hold.id
