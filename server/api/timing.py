"""``Server-Timing: app;dur=<ms>`` on every response: the platform's own time for a request.

Measured from the moment the request enters this middleware to the moment the response
starts (headers out): routing, dependencies (the terminal's signature), the handler with
its database transactions and thread-pool hops, and serialisation; not the HTTP parsing
and socket writes of the server around it.  Clients (the counter's benchmarks) subtract it
from their own request time to see the network and client share.

Registered outermost but one: answers of the error handlers and of :class:`BodySizeLimit`
carry it; a bare 500 of Starlette's last-resort handler (outside every middleware) does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"server-timing"
METRIC = "app"


def server_timing_value(duration_s: float) -> bytes:
    """The header value for ``duration_s`` seconds: ``app;dur=<milliseconds>``."""
    return f"{METRIC};dur={duration_s * 1000:.3f}".encode("ascii")


class ServerTiming:
    """Pure ASGI middleware adding ``Server-Timing: app;dur=<ms>`` to HTTP responses."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((HEADER, server_timing_value(self.clock() - start)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
