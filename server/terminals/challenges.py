"""One-time challenges for the card to sign, bound to the terminal that asked."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid

from sqlalchemy import delete
from sqlalchemy.orm import Session

from server.api.operations import NONCE_BYTES, CardOperation, canonical, challenge_value
from server.api.schemas import ChallengeResponse
from server.db import Database, claim_once, utcnow
from server.terminals.models import Challenge, Terminal

CHALLENGE_TTL = dt.timedelta(seconds=60)
CHALLENGE_BYTES = 32
#: spent and expired challenges are kept this long (for support), then deleted
CHALLENGE_RETENTION = dt.timedelta(days=1)


def create_challenge(
    db: Database, terminal: Terminal, operation: CardOperation | None = None
) -> ChallengeResponse:
    """A one-time challenge: random for a lookup; for ``operation`` (with its place)
    derived from a random nonce and the operation (:mod:`server.api.operations`)."""
    nonce = secrets.token_bytes(NONCE_BYTES if operation else CHALLENGE_BYTES)
    value = challenge_value(nonce, operation) if operation else nonce

    def work(session: Session) -> Challenge:
        now = utcnow()
        session.execute(
            delete(Challenge)
            .where(
                Challenge.terminal_pk == terminal.id,
                Challenge.expires_at < now - CHALLENGE_RETENTION,
            )
            .execution_options(synchronize_session=False)
        )
        challenge = Challenge(
            terminal_pk=terminal.id,
            value=value,
            operation=canonical(operation).decode() if operation else None,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
        )
        session.add(challenge)
        return challenge

    challenge = db.transaction(work)
    return ChallengeResponse(
        challenge_id=str(challenge.id),
        challenge=base64.b64encode(challenge.value).decode(),
        expires_at=challenge.expires_at,
        nonce=base64.b64encode(nonce).decode() if operation else None,
        operation=operation,
    )


def consume(session: Session, challenge_id: uuid.UUID, now: dt.datetime) -> bool:
    """Mark the challenge used, atomically; ``False`` when it already was."""
    return claim_once(session, Challenge, Challenge.id == challenge_id, now=now)
