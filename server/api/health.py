"""GET /v1/health: unsigned; for monitoring, benchmarks and clock checks.  It also says
how fresh each trust anchor's revocation information is (public facts about the CAs)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from server.api.deps import DatabaseDep
from server.api.schemas import HealthResponse
from server.db import utcnow
from server.identity.revocation_status import anchor_revocation
from server.version import platform_version

router = APIRouter(tags=["health"])


@router.get("/health")
def health(db: DatabaseDep) -> HealthResponse:
    now = utcnow()

    def work(session: Session) -> HealthResponse:
        return HealthResponse(
            server_time=now, version=platform_version(), revocation=anchor_revocation(session, now)
        )

    return db.transaction(work)
