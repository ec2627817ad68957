"""The ASGI application of the MyKey Platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.api import bench
from server.api.errors import install_error_handlers
from server.api.limits import BodySizeLimit
from server.api.routes import router
from server.api.schemas import API_PREFIX
from server.api.timing import ServerTiming
from server.db import Database, default_database_url
from server.migrate import upgrade
from server.portal.web import install as install_portal
from server.terminals.ratelimit import RateLimits
from server.version import platform_version


def create_app(database_url: str | None = None, *, migrate: bool = True) -> FastAPI:
    """The app on ``database_url`` (default: env or the user's SQLite file).

    With ``migrate`` the schema is brought to head first.
    """
    db = Database(database_url or default_database_url())
    if migrate:
        upgrade(db.engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="MyKey Platform",
        version=platform_version(),
        summary="MyKey IDs, service IDs and counter terminals (library desks, shops).",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.rate_limits = RateLimits.from_environment()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(ServerTiming)  # outermost: the 413s of BodySizeLimit are timed too
    app.include_router(router)
    if bench.enabled():
        app.include_router(bench.router, prefix=API_PREFIX)
    install_portal(app)  # the resident portal's pages under /portal
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` worker processes (the schema is already at head)."""
    return create_app(migrate=False)
