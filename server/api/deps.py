"""FastAPI dependencies: the database, the rate limits, the client's address, and the
terminal that signed the request."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from server.api.schemas import ErrorCode
from server.db import Database, utcnow
from server.errors import PlatformError
from server.terminals.models import Terminal
from server.terminals.ratelimit import RateLimits, check_refusals, count_refusal, hit_volume
from server.terminals.signatures import SignedRequest, authenticate


def get_db(request: Request) -> Database:
    db = request.app.state.db
    assert isinstance(db, Database)
    return db


DatabaseDep = Annotated[Database, Depends(get_db)]


def target_uri(request: Request) -> str:
    """The absolute URI the client addressed, spelled as it was sent (for ``@target-uri``).

    Scheme and authority come from the connection and the Host header (behind a TLS
    proxy, run ``serve`` with ``--forwarded-allow-ips`` so the scheme is the client's);
    the path is the raw, still percent-encoded one.
    """
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{request.url.scheme}://{request.url.netloc}{path}{'?' + query if query else ''}"


def client_address(request: Request) -> str:
    """The client's address as the socket saw it: behind a reverse proxy, the proxy's —
    unless ``serve`` runs with ``--forwarded-allow-ips`` naming that proxy, when uvicorn
    puts the X-Forwarded-For client here."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class BoundLimits:
    """The rate limits, with the database that counts them and the client's address."""

    limits: RateLimits
    db: Database
    address: str


def get_rate_limits(request: Request, db: DatabaseDep) -> BoundLimits:
    limits = request.app.state.rate_limits
    assert isinstance(limits, RateLimits)
    return BoundLimits(limits, db, client_address(request))


RateLimitsDep = Annotated[BoundLimits, Depends(get_rate_limits)]


#: refused credentials counted against the client's address (see :func:`refusals_per_address`)
CREDENTIAL_REFUSALS = frozenset({ErrorCode.PROVIDER_KEY_INVALID, ErrorCode.ENROLLMENT_CODE_INVALID})


def refusals_per_address(limits: RateLimitsDep) -> Iterator[None]:
    """Around a route that takes a key or a one-time code: 429 when the client's address
    was refused too often lately; a refused key or code counts against the address."""
    now = utcnow()
    check_refusals(limits.db, limits.limits.address, limits.address, now)
    try:
        yield
    except PlatformError as error:
        if error.code in CREDENTIAL_REFUSALS:
            count_refusal(limits.db, limits.limits.address, limits.address, now)
        raise


async def signed_terminal(request: Request, limits: RateLimitsDep) -> Terminal:
    """The enrolled terminal whose RFC 9421 signature covers this request, or 401; 429
    when its address was refused too often or the terminal exceeds its rate limit."""
    body = await request.body()
    message = SignedRequest(method=request.method, url=target_uri(request), headers=request.headers)
    return await run_in_threadpool(
        authenticate, limits.db, limits.limits, message, body, limits.address
    )


def check_card_rate(bound: BoundLimits, certificate_b64: str) -> None:
    """429 when this card (its certificate) proved itself too often lately.  Malformed
    base64 is left to the operation, which reports it."""
    try:
        der = base64.b64decode(certificate_b64, validate=True)
    except (binascii.Error, ValueError):
        return
    limit = bound.limits.card
    if limit is None:
        return
    fingerprint, now = hashlib.sha256(der).hexdigest(), utcnow()
    bound.db.transaction(lambda session: hit_volume(session, limit, fingerprint, now))


SignedTerminal = Annotated[Terminal, Depends(signed_terminal)]
