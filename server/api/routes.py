"""All /v1 routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from server.api import (
    challenges,
    conversions,
    health,
    link_confirmations,
    lookups,
    points,
    provider_links,
    providers,
    rebindings,
    registration,
    terminals,
)
from server.api.schemas import API_PREFIX

router = APIRouter(prefix=API_PREFIX)
for module in (
    health,
    terminals,
    challenges,
    lookups,
    link_confirmations,
    registration,
    points,
    conversions,
    rebindings,
):
    router.include_router(module.router)
router.include_router(providers.router)
router.include_router(provider_links.router)
