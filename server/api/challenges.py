"""POST /v1/challenges: a fresh one-time challenge for the card to sign."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import DatabaseDep, SignedTerminal
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ChallengeResponse
from server.terminals.challenges import create_challenge

router = APIRouter(tags=["challenges"])


@router.post("/challenges", responses=SIGNED_ERRORS)
def new_challenge(terminal: SignedTerminal, db: DatabaseDep) -> ChallengeResponse:
    """32 random bytes, valid for 60 s, usable once, by this terminal only."""
    return create_challenge(db, terminal)
