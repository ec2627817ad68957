"""A staff procedure at a municipal desk: bind a renewed card to an existing MyKey ID
after checking the holder's identity documents.

The desk is a terminal an operator allowed the ``rebind`` mode (with its
municipality); the new card proves itself there like at any counter, and the staff
member confirms, by name, which documents showed the MyKey ID's holder.  The old card
is retired and the holder is mailed (:func:`server.identity.rebinding.bind_renewed_card`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, TerminalMode
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.mykey import find_mykey
from server.identity.proof import decode_proof, prove_card
from server.identity.rebinding import (
    NewCertificate,
    RebindProof,
    bind_renewed_card,
    proof_required,
)
from server.terminals.models import Terminal


@dataclass(frozen=True)
class StaffRebind:
    """What the desk sends: the new card's proof, the MyKey ID, the staff's check."""

    challenge_id: str
    certificate: str
    signature: str
    mykey_id: str
    staff: str
    documents: str
    documents_checked: bool


@dataclass(frozen=True)
class Rebound:
    mykey_id: str
    bound_at: dt.datetime
    retired: int


def staff_rebind(db: Database, terminal: Terminal, request: StaffRebind) -> Rebound:
    """Bind the card; ``terminal_mode_not_allowed`` (no ``rebind`` mode) and
    ``rebind_proof_required`` (documents not confirmed, no staff named) refuse before
    the challenge is spent, so they change nothing."""
    if not terminal.has_mode(TerminalMode.REBIND.value):
        raise PlatformError(
            ErrorCode.TERMINAL_MODE_NOT_ALLOWED, "this terminal is not allowed the rebind mode"
        )
    if not request.documents_checked or not request.staff.strip() or not request.documents.strip():
        raise proof_required()
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)

    def work(session: Session) -> Rebound | PlatformError:
        now = utcnow()
        try:
            card = prove_card(session, terminal, proof, now)
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        if card.binding is not None:
            return PlatformError(
                ErrorCode.ALREADY_REGISTERED,
                "this card's certificate is already registered to a MyKey ID",
            )
        mykey = find_mykey(session, request.mykey_id.strip().upper())
        if mykey is None:
            return PlatformError(ErrorCode.NOT_REGISTERED, "no such MyKey ID")
        verified = card.verified
        new = NewCertificate(
            verified.fingerprint,
            verified.certificate.issuer.rfc4514_string(),
            verified.serial,
            verified.not_after,
        )
        binding, retired = bind_renewed_card(session, mykey, new, RebindProof.STAFF, now)
        return Rebound(mykey.mykey_id, binding.bound_at, retired)

    spec = hooks.staff_rebind(
        terminal, proof.certificate_der, request.mykey_id, request.staff, request.documents
    )
    outcome = audited(db, work, spec)
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome
