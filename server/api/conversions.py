"""POST /v1/conversions: a supporter company credits support points (API key, not a terminal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from server.api.deps import RateLimitsDep
from server.api.schemas import Conversion, ConversionRequest, ErrorBody, ErrorCode
from server.db import utcnow
from server.errors import PlatformError
from server.ledger.conversions import api_key_hash, convert
from server.terminals.ratelimit import check_refusals, count_refusal

router = APIRouter(tags=["conversions"])


def bearer_key(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise PlatformError(
            ErrorCode.SUPPORTER_KEY_INVALID,
            "send the supporter API key as 'Authorization: Bearer KEY'",
        )
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
    """Credit support points to a holder's reserved points (idempotent on ``id``).

    Bad API keys count against the client's address, unknown MyKey IDs against the key.
    """
    db, now = limits.db, utcnow()
    check_refusals(db, limits.limits.address, limits.address, now)
    key = (authorization or "").partition(" ")[2].strip()
    key_bucket = api_key_hash(key)
    check_refusals(db, limits.limits.supporter, key_bucket, now)
    try:
        return convert(db, bearer_key(authorization), request)
    except PlatformError as error:
        if error.code is ErrorCode.SUPPORTER_KEY_INVALID:
            count_refusal(db, limits.limits.address, limits.address, now)
        elif error.code is ErrorCode.NOT_REGISTERED:
            count_refusal(db, limits.limits.supporter, key_bucket, now)
        raise
