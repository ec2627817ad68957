"""POST /v1/challenges: a fresh one-time challenge for the card to sign."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import DatabaseDep, SignedTerminal
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ChallengeRequest, ChallengeResponse, ErrorBody
from server.ledger.sessions import operation_challenge
from server.terminals.challenges import create_challenge

router = APIRouter(tags=["challenges"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {"model": ErrorBody, "description": "the terminal may not do this operation"},
}


@router.post("/challenges", responses=_ERRORS, response_model_exclude_none=True)
def new_challenge(
    terminal: SignedTerminal, db: DatabaseDep, request: ChallengeRequest | None = None
) -> ChallengeResponse:
    """Valid for 60 s, usable once, by this terminal only: 32 random bytes for a lookup;
    for a points ``operation``, derived from a nonce and the operation at this
    terminal's shop or municipality (the card signs for exactly that operation)."""
    if request is not None and request.operation is not None:
        return operation_challenge(db, terminal, request.operation)
    return create_challenge(db, terminal)
