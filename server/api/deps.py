"""FastAPI dependencies: the database, and the terminal that signed the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from server.db import Database
from server.terminals.models import Terminal
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


async def signed_terminal(request: Request, db: DatabaseDep) -> Terminal:
    """The enrolled terminal whose RFC 9421 signature covers this request, or 401."""
    body = await request.body()
    message = SignedRequest(method=request.method, url=target_uri(request), headers=request.headers)
    return await run_in_threadpool(authenticate, db, message, body)


SignedTerminal = Annotated[Terminal, Depends(signed_terminal)]
