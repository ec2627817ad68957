"""``GET /v1/bench/signed``: a signed request that writes nothing — the signature and its
freshness checked with reads, no nonce spent, no count — the second step of the cost ladder
(``benchmarks/ladder.py``). Mounted only when ``MYKEY_PLATFORM_BENCHMARK=1``: a request
that can be replayed has no place on a platform in service."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from server.api.deps import RateLimitsDep, target_uri
from server.db import utcnow
from server.terminals.signatures import SignedRequest, verify_request

BENCHMARK_ENV = "MYKEY_PLATFORM_BENCHMARK"

router = APIRouter(tags=["benchmark"])


def enabled() -> bool:
    return os.environ.get(BENCHMARK_ENV) == "1"


@router.get("/bench/signed", status_code=204)
async def signed_noop(request: Request, limits: RateLimitsDep) -> Response:
    body = await request.body()
    message = SignedRequest(method=request.method, url=target_uri(request), headers=request.headers)
    now = utcnow()
    await run_in_threadpool(
        limits.db.read, lambda session: verify_request(session, message, body, now)
    )
    return Response(status_code=204)
