"""Two ``mykey-platform serve`` processes on one database share the rate limits and the
spent nonces: a terminal spreading its requests over both meets one limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fixtures.platform import PlatformServer, start_platform
from tests.integration.server.conftest import LIBRARY, enroll
from tests.unit.server.signing import SignedClient, sign_headers

pytestmark = pytest.mark.integration
LIMIT = 6


@pytest.fixture
def limits() -> str:
    """``MYKEY_PLATFORM_RATE_LIMITS`` of both processes (a test may parametrize it)."""
    return f"terminal={LIMIT}/3600"


@pytest.fixture
def two_servers(
    platform_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limits: str
) -> Iterator[tuple[PlatformServer, PlatformServer]]:
    monkeypatch.setenv("MYKEY_PLATFORM_RATE_LIMITS", limits)
    with start_platform(platform_database_url, tmp_path) as first:
        with start_platform(platform_database_url, tmp_path) as second:
            first.run_cli(
                "service", "add", LIBRARY, "--provider", "α市", "--barcode", "nw7",
                "--display-name", "α市立図書館", "--format", "[0-9]{10}",
            )  # fmt: skip
            yield first, second


def test_a_terminal_meets_one_limit_across_two_processes(
    two_servers: tuple[PlatformServer, PlatformServer],
) -> None:
    first, second = two_servers
    with httpx.Client(timeout=30) as http:
        desk = enroll(first, http, LIBRARY, "desk 1")
        on_second = SignedClient(http, second.base_url, desk.terminal_id, desk.key)
        statuses = []
        for _ in range(LIMIT):
            statuses.append(desk.get("/v1/terminal").status_code)
            statuses.append(on_second.get("/v1/terminal").status_code)
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == LIMIT


@pytest.mark.parametrize("limits", [f"address={LIMIT}/3600"])
def test_bad_signatures_meet_one_address_limit_across_two_processes(
    two_servers: tuple[PlatformServer, PlatformServer],
) -> None:
    first, second = two_servers
    with httpx.Client(timeout=30) as http:
        desk = enroll(first, http, LIBRARY, "desk 1")
        codes = []
        for server in (first, second) * LIMIT:
            impostor = SignedClient(
                http, server.base_url, desk.terminal_id, Ed25519PrivateKey.generate()
            )
            codes.append(impostor.get("/v1/terminal").status_code)
    assert codes.count(401) == LIMIT
    assert codes.count(429) == LIMIT


def test_concurrent_requests_on_both_processes_meet_the_limit_exactly(
    two_servers: tuple[PlatformServer, PlatformServer],
) -> None:
    first, second = two_servers
    with httpx.Client(timeout=30) as http:
        desk = enroll(first, http, LIBRARY, "desk 1")
    statuses: list[int] = []
    start = threading.Barrier(4)

    def send(server: PlatformServer) -> None:
        with httpx.Client(timeout=60) as client:
            terminal = SignedClient(client, server.base_url, desk.terminal_id, desk.key)
            start.wait()
            for _ in range(LIMIT):
                statuses.append(terminal.get("/v1/terminal").status_code)

    threads = [threading.Thread(target=send, args=(s,)) for s in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * LIMIT + [429] * (3 * LIMIT)


def test_a_nonce_spent_on_one_process_is_refused_by_the_other(
    two_servers: tuple[PlatformServer, PlatformServer],
) -> None:
    first, second = two_servers
    with httpx.Client(timeout=30) as http:
        desk = enroll(first, http, LIBRARY, "desk 1")
        headers = sign_headers(
            "GET", first.base_url + "/v1/terminal", key_id=desk.terminal_id, key=desk.key
        )
        assert http.get(first.base_url + "/v1/terminal", headers=headers).status_code == 200
        # the same signed request, replayed to the other process (same Host: the signed URI)
        replay = http.get(
            second.base_url + "/v1/terminal",
            headers={**headers, "Host": f"127.0.0.1:{first.port}"},
        )
    assert replay.status_code == 401
    assert replay.json()["error"] == "terminal_signature_invalid"
    assert "nonce" in replay.json()["message"]
