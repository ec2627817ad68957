"""``Server-Timing: app;dur=<ms>``: on every answer of the platform, and what it measures."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from server.api.limits import MAX_BODY_BYTES
from server.api.timing import ServerTiming, server_timing_value
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.conftest import Library
from tests.unit.server.world import tap

APP_TIMING = re.compile(r"app;dur=(\d+\.\d{3})")


def app_duration_ms(response: httpx.Response) -> float:
    values = response.headers.get_list("server-timing")
    assert len(values) == 1, values
    match = APP_TIMING.fullmatch(values[0])
    assert match, values[0]
    return float(match.group(1))


def test_health_carries_the_app_time(inprocess_platform: InProcessPlatform) -> None:
    response = inprocess_platform.client.get("/v1/health")
    assert response.status_code == 200
    assert app_duration_ms(response) >= 0


def test_error_answers_carry_it_too(inprocess_platform: InProcessPlatform) -> None:
    client = inprocess_platform.client
    assert app_duration_ms(client.get("/v1/nothing")) >= 0  # 404 of the router
    assert app_duration_ms(client.post("/v1/challenges")) >= 0  # 401: unsigned
    too_big = client.post(
        "/v1/lookups", content=b"x" * (MAX_BODY_BYTES + 1), headers={"Content-Type": "text/plain"}
    )
    assert too_big.status_code == 413  # refused by BodySizeLimit, which it wraps
    assert app_duration_ms(too_big) >= 0


def test_a_whole_lookup_is_timed(library: Library) -> None:
    response = tap(library.desk, library.patron)
    assert response.status_code == 200, response.text
    assert app_duration_ms(response) >= 0


# --- the middleware alone, with a clock under the test's control ----------------------------


class StepClock:
    """Each call returns the next value."""

    def __init__(self, *values: float) -> None:
        self._values: Iterator[float] = iter(values)

    def __call__(self) -> float:
        return next(self._values)


def _tiny_app() -> Starlette:
    async def hello(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("hi", headers={"X-Kept": "yes"})

    return Starlette(routes=[Route("/", hello)])


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_value_is_the_time_until_the_response_starts(anyio_backend: str) -> None:
    app = ServerTiming(_tiny_app(), clock=StepClock(10.0, 10.25))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/")
    assert response.text == "hi"
    assert response.headers["x-kept"] == "yes"  # the app's own headers stay
    assert response.headers["server-timing"] == "app;dur=250.000"


def test_value_format() -> None:
    assert server_timing_value(0.0012345) == b"app;dur=1.234"
    assert server_timing_value(0) == b"app;dur=0.000"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_non_http_scopes_pass_through_untouched(anyio_backend: str) -> None:
    seen: list[Message] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "lifespan.startup.complete"})

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        seen.append(message)

    def no_clock() -> float:
        raise AssertionError("a lifespan scope is not timed")

    await ServerTiming(inner, clock=no_clock)({"type": "lifespan"}, receive, send)
    assert seen == [{"type": "lifespan.startup.complete"}]
