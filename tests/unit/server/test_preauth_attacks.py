"""Requests before authentication: a flood of badly signed requests, bad bearer keys and
unknown MyKey IDs — what it may cost the platform, and what it may learn."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from server.models import Base
from server.terminals.ratelimit import RateLimits
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.points_world import PointsWorld
from tests.unit.server.signing import SignedClient, public_key_b64

#: what a refusal before authentication may write: its count, nothing else
LIMITER_TABLES = {"rate_counters"}


#: a refused enrollment code or provider key is also logged, by design
AUDIT_TABLES = {"audit_events", "audit_head"}


def _state(platform: InProcessPlatform, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    with platform.db.engine.connect() as connection:
        for name in sorted(Base.metadata.tables):
            if name not in LIMITER_TABLES | skip:
                rows = connection.execute(text(f"SELECT * FROM {name}")).all()  # noqa: S608
                state[name] = sorted(repr(tuple(row)) for row in rows)
    return state


def _impostor(library: Library) -> SignedClient:
    """The desk's terminal id, signed with a key that is not the desk's."""
    return SignedClient(
        library.world.client, "http://testserver", library.desk.terminal_id,
        Ed25519PrivateKey.generate(),
    )  # fmt: skip


def test_a_badly_signed_request_is_refused_while_another_writer_holds_the_lock(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    path = inprocess_platform.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    answers: list[httpx.Response] = []
    impostor = _impostor(library)
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answers.append(impostor.get("/v1/terminal")))
    thread.start()
    thread.join(timeout=3)
    waited = time.monotonic() - started
    holder.execute("ROLLBACK")
    holder.close()
    thread.join(timeout=120)
    assert waited < 3, "the badly signed request waited for the write lock"
    assert_error(answers[0], 401, "terminal_signature_invalid")


def test_a_flood_of_bad_signatures_is_limited_per_address_and_writes_nothing_else(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("address=5/3600")
    before = _state(inprocess_platform)
    impostor = _impostor(library)
    strangers = SignedClient(
        library.world.client, "http://testserver", str(uuid.uuid4()), Ed25519PrivateKey.generate()
    )
    answers = [impostor.get("/v1/terminal") for _ in range(3)]
    answers += [strangers.post("/v1/challenges") for _ in range(2)]
    answers.append(library.world.client.get("/v1/terminal"))  # no signature at all
    codes = [a.json()["error"] for a in answers]
    assert codes[:5] == ["terminal_signature_invalid"] * 3 + ["terminal_unknown"] * 2
    assert_error(answers[5], 429, "rate_limited")
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 3600
    # while the address is over its limit, even a good signature waits
    assert_error(library.desk.get("/v1/terminal"), 429, "rate_limited")
    assert _state(inprocess_platform) == before


def _conversion(points: PointsWorld, mykey_id: str, key: str | None = None) -> httpx.Response:
    body = {"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": 10, "reference": "order-1"}
    headers = {"Authorization": f"Bearer {key or points.supporter_key}"}
    return points.world.client.post("/v1/conversions", json=body, headers=headers)


def test_conversions_answer_an_unknown_mykey_id_exactly_as_a_wrong_one(
    points: PointsWorld,
) -> None:
    answers = [
        _conversion(points, candidate)
        for candidate in ("ZZZZ9999", "AAAA1111", "zzzz9999", "ZZZZ999", "ZZZZ-9999")
    ]
    first = answers[0]
    assert first.status_code == 404
    for answer in answers:
        assert (answer.status_code, answer.json()) == (first.status_code, first.json())
    assert "ZZZZ9999" not in first.text


def test_conversions_are_limited_per_address_and_per_supporter_key(
    points: PointsWorld, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("address=3/3600")
    bad = [_conversion(points, "ZZZZ9999", key="mks_guess" + str(n)) for n in range(4)]
    assert [a.status_code for a in bad] == [401, 401, 401, 429]
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("supporter=3/3600")
    guesses = [_conversion(points, f"ZZZZ{n:04d}") for n in range(4)]
    assert [a.status_code for a in guesses] == [404, 404, 404, 429]
    assert guesses[3].json()["error"] == "rate_limited"


def test_guessed_provider_keys_and_enrollment_codes_are_limited_per_address(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("address=4/3600")
    client = library.world.client
    key = public_key_b64(Ed25519PrivateKey.generate())
    before = _state(inprocess_platform, frozenset(AUDIT_TABLES))
    answers = [
        client.get(
            "/v1/providers/address-changes",
            params={"since": "2026-01-01"},
            headers={"Authorization": f"Bearer guess-{n}"},
        )
        for n in range(2)
    ]
    answers += [
        client.post("/v1/terminals/enroll", json={"code": f"GUESS-{n}", "public_key": key})
        for n in range(2)
    ]
    assert [a.status_code for a in answers] == [401, 401, 403, 403]
    refused = client.post("/v1/terminals/enroll", json={"code": "GUESS-9", "public_key": key})
    assert_error(refused, 429, "rate_limited")
    assert "Retry-After" in refused.headers
    assert _state(inprocess_platform, frozenset(AUDIT_TABLES)) == before
