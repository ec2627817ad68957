"""``GET /v1/bench/signed`` (the cost ladder's signed no-op): absent from a platform in
service; with ``MYKEY_PLATFORM_BENCHMARK=1`` it checks the signature and writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.app import create_app
from server.terminals.models import RequestNonce
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.world import World

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def bench_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("MYKEY_PLATFORM_BENCHMARK", "1")
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    app = create_app(url)
    with TestClient(app) as client:
        world = World(InProcessPlatform(app=app, client=client, database_url=url))
        world.add_service("library")
        yield world


def nonces(world: World) -> int:
    return int(world.db.transaction(lambda s: s.scalar(select(func.count(RequestNonce.id)))))


def test_a_platform_in_service_has_no_bench_endpoint(inprocess_platform: InProcessPlatform) -> None:
    world = World(inprocess_platform)
    world.add_service("library")
    desk = world.enroll("library")
    assert desk.get("/v1/bench/signed").status_code == 404
    assert "/v1/bench/signed" not in inprocess_platform.client.get("/openapi.json").text


def test_the_signed_noop_checks_the_signature_and_writes_nothing(bench_world: World) -> None:
    desk = bench_world.enroll("library")
    before = nonces(bench_world)
    assert desk.get("/v1/bench/signed").status_code == 204
    assert nonces(bench_world) == before  # no nonce spent
    refused = bench_world.client.get("/v1/bench/signed")  # unsigned
    assert refused.status_code == 401
