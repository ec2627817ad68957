"""Label lookups for one holder at the same moment, at the daily limit's boundary: exactly
the allowed number succeed, the rest are ``label_limit_reached`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import threading

import httpx
import pytest
from sqlalchemy import func, select

from server.db import Database
from server.identity.models import IssuedLabel
from tests.integration.server.conftest import LIBRARY, ServedLibrary, b64
from tests.unit.server.signing import SignedClient

pytestmark = pytest.mark.integration
ROUNDS = 3
ALLOWED_PER_ROUND = 2
THREADS = 5


def _bodies(library: ServedLibrary, n: int) -> list[dict[str, object]]:
    bodies: list[dict[str, object]] = []
    for _ in range(n):
        challenge = library.desk.post("/v1/challenges").json()
        value = base64.b64decode(challenge["challenge"])
        bodies.append(
            {
                "challenge_id": challenge["challenge_id"],
                "certificate": b64(library.patron.der),
                "signature": b64(library.patron.sign(value)),
                "label": True,
            }
        )
    return bodies


def _race(library: ServedLibrary, bodies: list[dict[str, object]]) -> list[str]:
    start = threading.Barrier(len(bodies))
    outcomes: list[str] = []
    desk = library.desk

    def attempt(body: dict[str, object]) -> None:
        with httpx.Client(timeout=30) as http:
            client = SignedClient(http, desk.base_url, desk.terminal_id, desk.key)
            start.wait()
            response = client.post("/v1/lookups", body)
        outcomes.append("ok" if response.status_code == 200 else response.json()["error"])

    threads = [threading.Thread(target=attempt, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def _labels(library: ServedLibrary) -> int:
    db = Database(library.server.database_url)
    try:
        return int(
            db.transaction(lambda s: s.scalar(select(func.count()).select_from(IssuedLabel)))
        )
    finally:
        db.dispose()


def test_simultaneous_labels_stop_at_the_daily_limit(served_library: ServedLibrary) -> None:
    library = served_library
    for round_ in range(1, ROUNDS + 1):
        limit = round_ * ALLOWED_PER_ROUND
        library.server.run_cli("service", "set-label-limit", LIBRARY, "--per-day", str(limit))
        outcomes = _race(library, _bodies(library, THREADS))
        expected = ["label_limit_reached"] * (THREADS - ALLOWED_PER_ROUND)
        assert outcomes == expected + ["ok"] * ALLOWED_PER_ROUND
        assert _labels(library) == limit
