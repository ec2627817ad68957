"""The connection between counter and platform cut mid-payment: the platform did the work,
the counter got no answer.  The counter's client sends the same request (same id) again
on a fresh connection: exactly one payment, the holder charged once (SQLite, PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.client import PlatformClient
from app.ports import ErrorKind, TapError
from server.api.schemas import PaymentRequest, PaymentStatus, ResolveRequest
from server.ledger.models import Transfer
from tests.fixtures.platform import PlatformServer
from tests.fixtures.points_platform import ALPHA, PointsPlatform, set_up_points
from tests.fixtures.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

INITIAL = 5000
AMOUNT = 1200


@pytest.fixture
def points_platform(platform_server: PlatformServer, tmp_path: Path) -> Iterator[PointsPlatform]:
    platform = set_up_points(platform_server.database_url, platform_server.base_url)
    yield platform
    platform.close()


def _resolutions(platform: PointsPlatform, payment_id: str) -> list[Transfer]:
    key = uuid.UUID(payment_id)
    return platform.db.transaction(
        lambda s: list(s.scalars(select(Transfer).where(Transfer.pending_id == key)))
    )


def test_a_retried_payment_after_a_lost_answer_is_one_payment(
    points_platform: PointsPlatform, platform_server: PlatformServer
) -> None:
    platform = points_platform
    holder, mykey_id = platform.add_holder(INITIAL)
    till = platform.add_shop_terminal()
    with httpx.Client(timeout=30) as http:
        session_id = platform.session_id(till.client(http, platform.base_url), holder, AMOUNT)

    with (
        TcpProxy(platform_server.port) as proxy,
        PlatformClient(f"http://127.0.0.1:{proxy.port}", till.terminal_id, till.key) as client,
    ):
        payment_id = str(uuid.uuid4())
        hold = PaymentRequest(
            id=payment_id, session_id=session_id, municipality_code=ALPHA, amount=AMOUNT
        )
        proxy.drop_next_response()
        with pytest.raises(TapError) as lost:
            client.create_payment(hold)
        assert lost.value.kind is ErrorKind.PLATFORM_UNREACHABLE
        assert proxy.dropped == 1
        assert payment_id in platform.transfers([payment_id])  # the platform did hold it
        connections = proxy.connections

        held = client.create_payment(hold)  # the counter's retry, same id
        assert proxy.connections == connections + 1  # on a fresh connection
        assert held.id == payment_id and held.status is PaymentStatus.HELD
        account = platform.account(mykey_id)
        assert (account.debits_pending, account.debits_posted) == (AMOUNT, 0)

        post = ResolveRequest(id=str(uuid.uuid4()))
        proxy.drop_next_response()
        with pytest.raises(TapError) as lost:
            client.post_payment(payment_id, post)
        assert lost.value.kind is ErrorKind.PLATFORM_UNREACHABLE
        assert [str(t.id) for t in _resolutions(platform, payment_id)] == [post.id]

        posted = client.post_payment(payment_id, post)  # the retry, same id
        assert posted.id == payment_id and posted.status is PaymentStatus.POSTED
        assert proxy.dropped == 2

    assert [str(t.id) for t in _resolutions(platform, payment_id)] == [post.id]
    payments = platform.db.transaction(
        lambda s: list(s.scalars(select(Transfer.id).where(Transfer.code == "payment")))
    )
    assert len(payments) == 2  # the hold and its post: one payment
    account = platform.account(mykey_id)
    assert (account.balance, account.debits_pending) == (INITIAL - AMOUNT, 0)
    assert platform.problems() == []
