"""GET /v1/health: unsigned, no database; for monitoring, benchmarks and clock checks."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.schemas import HealthResponse
from server.db import utcnow
from server.version import platform_version

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> HealthResponse:
    return HealthResponse(server_time=utcnow(), version=platform_version())
