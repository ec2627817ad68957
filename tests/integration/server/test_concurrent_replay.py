"""One challenge sent twice at the same moment, from two threads and two connections:
exactly one lookup succeeds, the other is ``challenge_used`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import threading

import httpx
import pytest

from tests.integration.server.conftest import ServedLibrary, b64
from tests.unit.server.signing import SignedClient

pytestmark = pytest.mark.integration
ROUNDS = 5


def _race(library: ServedLibrary, body: dict[str, str]) -> list[tuple[int, str | None]]:
    start = threading.Barrier(2)
    outcomes: list[tuple[int, str | None]] = []
    desk = library.desk

    def attempt() -> None:
        with httpx.Client(timeout=30) as http:
            client = SignedClient(http, desk.base_url, desk.terminal_id, desk.key)
            start.wait()
            response = client.post("/v1/lookups", body)
        error = None if response.status_code == 200 else response.json()["error"]
        outcomes.append((response.status_code, error))

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes, key=lambda outcome: outcome[0])


def test_one_challenge_two_threads_one_success(served_library: ServedLibrary) -> None:
    library = served_library
    for _ in range(ROUNDS):
        challenge = library.desk.post("/v1/challenges").json()
        value = base64.b64decode(challenge["challenge"])
        body = {
            "challenge_id": challenge["challenge_id"],
            "certificate": b64(library.patron.der),
            "signature": b64(library.patron.sign(value)),
        }
        assert _race(library, body) == [(200, None), (409, "challenge_used")]
