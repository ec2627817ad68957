"""Registration tickets: a counter proves an unregistered card, the resident's browser
opens the portal with the ticket it got back.

A ticket is 32 random bytes (URL-safe base64); only its SHA-256 is stored.  It lives
:data:`TICKET_TTL` and opens the page once: the link's GET only shows a button
(:func:`usable_ticket` spends nothing, so a link-preview bot cannot spend it), the
button's POST claims it (:func:`open_ticket`, with :func:`server.db.claim_once`); the
browser then carries a session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, RegistrationTicket, RegistrationTicketRequest
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, claim_once, utcnow
from server.errors import PlatformError
from server.identity.proof import CardProof, ProvenCard, decode_b64, decode_proof, prove_card
from server.identity.rebinding import RebindProof, prove_old_card
from server.identity.renewals import linked_binding
from server.portal.models import RegistrationTicket as TicketRow
from server.terminals.models import Challenge, Terminal

TICKET_TTL = dt.timedelta(minutes=10)
REGISTER_PATH = "/portal/register"
#: the page offers a new MyKey ID, and — without a proof of renewal — explains how a
#: renewed card is bound; ``rebind``: the ticket carries that proof (old card, J-LIS link)
PURPOSE_REGISTER = "register"
PURPOSE_REBIND = "rebind"


def _old_card(request: RegistrationTicketRequest) -> tuple[bytes, bytes] | None:
    """The old card's certificate and signature, decoded; ``malformed`` if only one."""
    if request.old_certificate is None and request.old_signature is None:
        return None
    if request.old_certificate is None or request.old_signature is None:
        raise PlatformError(ErrorCode.MALFORMED, "old_certificate and old_signature go together")
    return decode_b64("old_certificate", request.old_certificate), decode_b64(
        "old_signature", request.old_signature
    )


def _renewal_proof(
    session: Session, proof: CardProof, old: tuple[bytes, bytes] | None, row: TicketRow
) -> None:
    """Record on the ticket which live binding the new card renews, when proven: by the
    old card over the same (already spent) challenge, or by J-LIS's linkage."""
    if old is not None:
        challenge = session.get_one(Challenge, proof.challenge_id)
        binding = prove_old_card(session, challenge.value, *old)
        row.old_binding_pk, row.rebind_proof = binding.id, RebindProof.OLD_CARD.value
    else:
        linked = linked_binding(session, row.fingerprint, row.serial, row.issuer)
        if linked is None:
            return
        row.old_binding_pk, row.rebind_proof = linked.id, RebindProof.JLIS_LINK.value
    row.purpose = PURPOSE_REBIND


def token_hash(token: str) -> str:
    """SHA-256 of a ticket or cookie value, lower-case hex (what the database keeps)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def ticket_row(
    token: str, purpose: str, terminal: Terminal, card: ProvenCard, now: dt.datetime
) -> TicketRow:
    """A one-time ticket for ``purpose``, for the card that proved itself at ``terminal``
    (only the token's hash is kept)."""
    verified = card.verified
    return TicketRow(
        ticket_hash=token_hash(token),
        purpose=purpose,
        terminal_pk=terminal.id,
        fingerprint=verified.fingerprint,
        issuer=verified.certificate.issuer.rfc4514_string(),
        serial=verified.serial,
        not_after=verified.not_after,
        created_at=now,
        expires_at=now + TICKET_TTL,
    )


def issue_ticket(
    db: Database, terminal: Terminal, request: RegistrationTicketRequest, base_url: str
) -> RegistrationTicket:
    """Prove the card (spending the challenge) and answer a ticket for an unregistered
    certificate; ``already_registered`` for a registered one.  With the old card's
    proof (or a J-LIS linkage of the new certificate) the ticket may rebind the card;
    a refused old card (``rebind_old_card_invalid``) gets no ticket."""
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)
    old = _old_card(request)
    token = secrets.token_urlsafe(32)

    def work(session: Session) -> TicketRow | PlatformError:
        now = utcnow()
        try:
            card = prove_card(session, terminal, proof, now)
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        if card.binding is not None:
            return PlatformError(
                ErrorCode.ALREADY_REGISTERED,
                "this card's certificate is already registered to a MyKey ID: log in to My Page",
            )
        row = ticket_row(token, PURPOSE_REGISTER, terminal, card, now)
        try:
            _renewal_proof(session, proof, old, row)
        except PlatformError as error:
            return error  # committed: the challenge stays spent, no ticket
        session.add(row)
        return row

    outcome = audited(db, work, hooks.registration_ticket(terminal, proof.certificate_der))
    if isinstance(outcome, PlatformError):
        raise outcome
    return RegistrationTicket(
        url=f"{base_url.rstrip('/')}{REGISTER_PATH}?ticket={token}",
        expires_at=outcome.expires_at,
        purpose=outcome.purpose,
    )


def usable_ticket(
    session: Session, token: str, now: dt.datetime, purposes: tuple[str, ...]
) -> TicketRow | None:
    """The ticket when it is one of ``purposes``, unexpired and unused (nothing spent)."""
    row = session.scalar(select(TicketRow).where(TicketRow.ticket_hash == token_hash(token)))
    if row is None or now >= row.expires_at or row.used_at is not None:
        return None
    return row if row.purpose in purposes else None


def open_ticket(
    session: Session,
    token: str,
    now: dt.datetime,
    purposes: tuple[str, ...] = (PURPOSE_REGISTER, PURPOSE_REBIND),
) -> TicketRow | None:
    """The ticket, claimed now; ``None`` when unknown, expired, already used or of
    another purpose."""
    row = usable_ticket(session, token, now, purposes)
    if row is None:
        return None
    if not claim_once(session, TicketRow, TicketRow.id == row.id, now=now):
        return None
    return row
