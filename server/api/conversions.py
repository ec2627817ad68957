"""POST /v1/conversions: a supporter company credits support points (API key, not a terminal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from server.api.deps import RateLimitsDep
from server.api.schemas import Conversion, ConversionRequest, ErrorBody
from server.ledger.conversions import convert_within_limits

router = APIRouter(tags=["conversions"])


def bearer_key(authorization: str | None) -> str | None:
    """The key of ``Authorization: Bearer KEY``; ``None`` when there is none."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


@router.post(
    "/conversions",
    responses={
        400: {"model": ErrorBody, "description": "malformed request"},
        401: {"model": ErrorBody, "description": "API key missing, unknown or revoked"},
        404: {"model": ErrorBody, "description": "no holder has this MyKey ID (or it is mistyped)"},
        409: {"model": ErrorBody, "description": "id reused for another request"},
        429: {"model": ErrorBody, "description": "too many refusals from this address or key"},
    },
)
def convert_points(
    request: ConversionRequest,
    limits: RateLimitsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Conversion:
    """Credit support points to a holder's reserved points (idempotent on ``id``)."""
    return convert_within_limits(
        limits.db, limits.limits, limits.address, bearer_key(authorization), request
    )
