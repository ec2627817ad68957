"""POST /v1/conversions: a supporter company credits support points (API key, not a terminal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from server.api.deps import DatabaseDep
from server.api.schemas import Conversion, ConversionRequest, ErrorBody, ErrorCode
from server.errors import PlatformError
from server.ledger.conversions import convert

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
        404: {"model": ErrorBody, "description": "no such MyKey ID"},
        409: {"model": ErrorBody, "description": "id reused for another request"},
    },
)
def convert_points(
    request: ConversionRequest,
    db: DatabaseDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Conversion:
    """Credit support points to a holder's reserved points (idempotent on ``id``)."""
    return convert(db, bearer_key(authorization), request)
