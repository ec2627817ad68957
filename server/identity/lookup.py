"""The counter's lookup: a card's proof in, the holder's ID at the terminal's service out.

Checks run in a fixed order, each with its own error code (see :func:`lookup`).  A
challenge allows exactly one attempt: once the request is known to come from the
challenge's own terminal within its lifetime, the challenge is spent — by a success or
by any failure — in the same transaction that decides the answer.  A lookup for a
same-day label (``label``) also records the label, or is refused at the service's daily
limit, in that same transaction (see :mod:`server.identity.labels`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, LookupRequest, LookupResult
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.certificates import verify_card_signature, verify_certificate
from server.identity.labels import issue_label
from server.identity.models import ServiceLink
from server.identity.mykey import binding_of
from server.terminals.challenges import consume
from server.terminals.models import Challenge, Terminal


def _b64(field: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PlatformError(ErrorCode.MALFORMED, f"{field} is not valid base64") from error


def _challenge_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def lookup(db: Database, terminal: Terminal, request: LookupRequest) -> LookupResult:
    """Answer a lookup, or raise the first failed check's :class:`PlatformError`.

    Order: challenge exists → belongs to this terminal → not expired → certificate
    parses → chains to a pinned anchor → valid now → not revoked → card signature →
    challenge not used before (spent now) → certificate registered → linked to the
    terminal's service → (for a label) under the service's daily limit, recorded.
    """
    certificate = _b64("certificate", request.certificate)
    signature = _b64("signature", request.signature)
    challenge_id = _challenge_uuid(request.challenge_id)

    def work(session: Session) -> LookupResult | PlatformError:
        try:
            return _decide(
                session, terminal, challenge_id, certificate, signature, request.label, utcnow()
            )
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent

    outcome = db.transaction(work)
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome


def _decide(
    session: Session,
    terminal: Terminal,
    challenge_id: uuid.UUID | None,
    certificate_der: bytes,
    signature: bytes,
    label: bool,
    now: dt.datetime,
) -> LookupResult:
    challenge = session.get(Challenge, challenge_id) if challenge_id is not None else None
    if challenge is None:
        raise PlatformError(ErrorCode.CHALLENGE_UNKNOWN, "no such challenge")
    if challenge.terminal_pk != terminal.id:
        raise PlatformError(
            ErrorCode.CHALLENGE_WRONG_TERMINAL, "the challenge was issued to another terminal"
        )
    if now >= challenge.expires_at:
        raise PlatformError(ErrorCode.CHALLENGE_EXPIRED, "the challenge expired: ask for a new one")
    try:
        verified = verify_certificate(session, certificate_der, now)
        verify_card_signature(verified.certificate, challenge.value, signature)
    except PlatformError:
        consume(session, challenge.id, now)  # one attempt per challenge, failed or not
        raise
    if not consume(session, challenge.id, now):
        raise PlatformError(
            ErrorCode.CHALLENGE_USED, "the challenge was already used: ask for a new one"
        )
    binding = binding_of(session, verified.fingerprint)
    if binding is None:
        raise PlatformError(
            ErrorCode.NOT_REGISTERED, "this card's certificate is not registered to a MyKey ID"
        )
    query = select(ServiceLink).where(
        ServiceLink.mykey_pk == binding.mykey_pk, ServiceLink.service_pk == terminal.service_pk
    )
    if label:
        # one label decision per holder and service at a time (no-op on SQLite, whose
        # BEGIN IMMEDIATE already lets one writer in at a time)
        query = query.with_for_update()
    link = session.scalar(query)
    if link is None:
        raise PlatformError(
            ErrorCode.SERVICE_NOT_LINKED,
            f"the holder has no {terminal.service.display_name} ID linked to the MyKey ID",
        )
    if label:
        issue_label(session, terminal, link, now)
    changed_at = binding.mykey.address_changed_at
    return LookupResult(
        service=terminal.service.name,
        service_id=link.external_id,
        valid=link.valid,
        address_changed=changed_at is not None and changed_at > link.linked_at,
        certificate_expires_soon=verified.expires_soon(now),
    )
