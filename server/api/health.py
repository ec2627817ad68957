"""``GET /v1/health``: unsigned, for load balancers, monitoring and clock checks — it
computes nothing per request (the version is read once, no database, no thread hop).
``GET /v1/health/revocation``: how fresh each trust anchor's revocation information is
(public facts about the CAs), read from the database."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from server.api.deps import DatabaseDep
from server.api.schemas import HealthResponse, RevocationHealth
from server.db import utcnow
from server.identity.revocation_status import anchor_revocation
from server.version import platform_version

router = APIRouter(tags=["health"])

VERSION = platform_version()


@router.get("/health")
async def health() -> HealthResponse:
    return HealthResponse(server_time=utcnow(), version=VERSION)


@router.get("/health/revocation")
def revocation(db: DatabaseDep) -> RevocationHealth:
    now = utcnow()

    def work(session: Session) -> RevocationHealth:
        return RevocationHealth(server_time=now, revocation=anchor_revocation(session, now))

    return db.transaction(work)
