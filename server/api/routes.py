"""All /v1 routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from server.api import (
    challenges,
    conversions,
    health,
    lookups,
    points,
    providers,
    rebindings,
    registration,
    terminals,
)
from server.api.schemas import API_PREFIX

router = APIRouter(prefix=API_PREFIX)
for module in (health, terminals, challenges, lookups, registration, points, conversions,
               rebindings):  # fmt: skip
    router.include_router(module.router)
router.include_router(providers.router)
