"""POST /v1/rebindings: a municipal desk (mode ``rebind``) binds a renewed card after its
staff checked the holder's identity documents."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.api.deps import DatabaseDep, RateLimitsDep, SignedTerminal, check_card_rate
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ErrorBody
from server.identity.staff_rebind import StaffRebind, staff_rebind

router = APIRouter(tags=["registration"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {
        "model": ErrorBody,
        "description": "no rebind mode; documents not confirmed (rebind_proof_required); "
        "certificate or card refused",
    },
    404: {"model": ErrorBody, "description": "challenge or MyKey ID unknown"},
    409: {"model": ErrorBody, "description": "challenge already used; card already registered"},
    410: {"model": ErrorBody, "description": "challenge expired"},
}


class RebindRequest(BaseModel):
    """The new card's proof, the MyKey ID, and the staff member's check."""

    challenge_id: str = Field(max_length=64)
    #: DER of the new card's user-authentication certificate, base64
    certificate: str = Field(max_length=16384)
    #: the new card's signature over DigestInfo(SHA-256(challenge)), base64
    signature: str = Field(max_length=2048)
    mykey_id: str = Field(min_length=8, max_length=8)
    #: who checked the documents (a name or staff number)
    staff: str = Field(min_length=1, max_length=64)
    #: which documents were checked, e.g. "運転免許証" (never their numbers)
    documents: str = Field(min_length=1, max_length=128)
    #: the staff member confirms that the documents show the MyKey ID's holder
    documents_checked: bool


class Rebound(BaseModel):
    """The renewed card is bound; ``retired`` older certificates no longer look up."""

    mykey_id: str
    bound_at: dt.datetime
    retired: int


@router.post("/rebindings", responses=_ERRORS)
def rebind(
    body: RebindRequest, terminal: SignedTerminal, db: DatabaseDep, limits: RateLimitsDep
) -> Rebound:
    """Bind the new card to the MyKey ID and retire its older cards; the holder is mailed."""
    check_card_rate(limits, body.certificate)
    outcome = staff_rebind(db, terminal, StaffRebind(**body.model_dump()))
    return Rebound(**dataclasses.asdict(outcome))
