"""The counter's lookup: a card's proof in, the holder's ID at the terminal's service out.

Checks run in a fixed order, each with its own error code (see :func:`lookup`).  A
challenge allows exactly one attempt: once the request is known to come from the
challenge's own terminal within its lifetime, the challenge is spent — by a success or
by any failure — in the same transaction that decides the answer.  A lookup for a
same-day label (``label``) also records the label, or is refused at the service's daily
limit, in that same transaction (see :mod:`server.identity.labels`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, LookupRequest, LookupResult, TerminalMode
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.labels import issue_label
from server.identity.models import ServiceLink
from server.identity.proof import CardProof, decode_proof, prove_card
from server.terminals.models import Terminal


def lookup(db: Database, terminal: Terminal, request: LookupRequest) -> LookupResult:
    """Answer a lookup, or raise the first failed check's :class:`PlatformError`.

    Order: challenge exists → belongs to this terminal → not expired → certificate
    parses → chains to a pinned anchor → valid now → not revoked → card signature →
    challenge not used before (spent now) → certificate registered → linked to the
    terminal's service → link confirmed by the provider → (for a label) under the
    service's daily limit, recorded.
    """
    for mode in (
        (TerminalMode.LOOKUP, TerminalMode.LABEL) if request.label else (TerminalMode.LOOKUP,)
    ):
        if not terminal.has_mode(mode.value):
            raise PlatformError(
                ErrorCode.TERMINAL_MODE_NOT_ALLOWED, f"this terminal is not allowed {mode.value}s"
            )
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)

    def work(session: Session) -> LookupResult | PlatformError:
        try:
            return _decide(session, terminal, proof, request.label, utcnow())
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent

    outcome = audited(db, work, hooks.lookup(terminal, proof.certificate_der, label=request.label))
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome


def _decide(
    session: Session, terminal: Terminal, proof: CardProof, label: bool, now: dt.datetime
) -> LookupResult:
    card = prove_card(session, terminal, proof, now)
    binding = card.registered()
    verified = card.verified
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
    if not link.confirmed:
        raise PlatformError(
            ErrorCode.LINK_UNCONFIRMED,
            f"the holder's {terminal.service.display_name} ID is not yet confirmed by "
            f"{terminal.service.provider}",
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
