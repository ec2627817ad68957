"""FastAPI dependencies: the database, and the terminal that signed the request."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from server.db import Database
from server.terminals.models import Terminal
from server.terminals.ratelimit import RateLimits
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


def get_rate_limits(request: Request) -> RateLimits:
    limits = request.app.state.rate_limits
    assert isinstance(limits, RateLimits)
    return limits


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


async def signed_terminal(request: Request, db: DatabaseDep, limits: RateLimitsDep) -> Terminal:
    """The enrolled terminal whose RFC 9421 signature covers this request, or 401; 429
    when the terminal exceeds its rate limit."""
    body = await request.body()
    message = SignedRequest(method=request.method, url=target_uri(request), headers=request.headers)
    terminal = await run_in_threadpool(authenticate, db, message, body)
    limits.check_terminal(str(terminal.id))
    return terminal


def check_card_rate(limits: RateLimits, certificate_b64: str) -> None:
    """429 when this card (its certificate) proved itself too often lately.  Malformed
    base64 is left to the operation, which reports it."""
    try:
        der = base64.b64decode(certificate_b64, validate=True)
    except (binascii.Error, ValueError):
        return
    limits.check_card(hashlib.sha256(der).hexdigest())


SignedTerminal = Annotated[Terminal, Depends(signed_terminal)]
