"""POST /v1/lookups: the card's proof in, the holder's ID at the terminal's service out."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import DatabaseDep, RateLimitsDep, SignedTerminal, check_card_rate
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ErrorBody, LookupRequest, LookupResult
from server.identity.lookup import lookup

router = APIRouter(tags=["lookups"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {"model": ErrorBody, "description": "certificate or card refused; label limit reached"},
    404: {"model": ErrorBody, "description": "challenge unknown, not registered, not linked"},
    409: {"model": ErrorBody, "description": "challenge already used"},
    429: {"model": ErrorBody, "description": "terminal or card over its rate limit"},
    410: {"model": ErrorBody, "description": "challenge expired"},
}


@router.post("/lookups", responses=_ERRORS)
def look_up(
    request: LookupRequest, terminal: SignedTerminal, db: DatabaseDep, limits: RateLimitsDep
) -> LookupResult:
    """Verify the card's certificate and signature; answer the holder's service ID."""
    check_card_rate(limits, request.certificate)
    return lookup(db, terminal, request)
