"""All /v1 routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter, Depends

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
from server.api.deps import refusals_per_address
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
# the provider API's keys are guessed from outside: refusals count per client address
for module in (providers, provider_links):
    router.include_router(module.router, dependencies=[Depends(refusals_per_address)])
