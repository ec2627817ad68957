"""Confirming a service link at the desk (``POST /v1/link-confirmations``).

The holder proves the card (PIN, card signature over the platform's challenge) and a
member of staff types or scans the service ID from the service's own card in hand (the
library card).  The terminal needs the ``link_confirm`` mode, and confirms IDs of its
own service only.  A refusal changes no link (the link's work runs in a savepoint a
refusal rolls back); the challenge is spent as in a lookup.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, LinkConfirmRequest, LinkConfirmResult, TerminalMode
from server.audit.hooks import terminal_actor
from server.audit.log import AuditSpec, audited, sha256_hex
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity import links
from server.identity.models import CONFIRMED_BY_DESK, MyKey, ServiceLink
from server.identity.proof import decode_proof, prove_card
from server.terminals.models import Terminal

ACTION = "link.confirm_at_desk"


def confirm_at_desk(
    db: Database, terminal: Terminal, request: LinkConfirmRequest
) -> LinkConfirmResult:
    """Link and confirm ``request.service_id`` for the card's holder, or refuse.

    Order: mode allowed → service ID has the service's format → the card's proof (as a
    lookup: challenge, certificate, signature, registered) → the ID is not confirmed for
    another holder (``service_id_taken``) → the holder's link of the service, if any, is
    this ID (``link_mismatch``).
    """
    if not terminal.has_mode(TerminalMode.LINK_CONFIRM.value):
        raise PlatformError(
            ErrorCode.TERMINAL_MODE_NOT_ALLOWED, "this terminal may not confirm service links"
        )
    service_id = request.service_id.strip()
    if not links.well_formed(terminal.service, service_id):
        raise PlatformError(
            ErrorCode.MALFORMED,
            f"the service ID does not have the format of {terminal.service.display_name}",
        )
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)

    def work(session: Session) -> LinkConfirmResult | PlatformError:
        now = utcnow()
        try:
            binding = prove_card(session, terminal, proof, now).registered()
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        try:
            with session.begin_nested():  # a refusal undoes the link's writes, not the spend
                return _link(session, terminal, binding.mykey, service_id, now)
        except PlatformError as error:
            return error

    spec = AuditSpec(
        terminal_actor(terminal),
        ACTION,
        {
            "service": terminal.service.name,
            "certificate_sha256": sha256_hex(proof.certificate_der),
        },
    )
    outcome = audited(db, work, spec)
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome


def _link(
    session: Session, terminal: Terminal, mykey: MyKey, service_id: str, now: dt.datetime
) -> LinkConfirmResult:
    others = session.scalar(
        select(func.count()).where(
            ServiceLink.service_pk == terminal.service_pk,
            ServiceLink.external_id == service_id,
            ServiceLink.mykey_pk != mykey.id,
        )
    )
    link, outcome = links.link_confirmed(
        session, mykey, terminal.service, service_id, CONFIRMED_BY_DESK, now
    )
    return LinkConfirmResult(
        service=terminal.service.name,
        service_id=link.external_id,
        outcome=outcome,
        dropped_claims=int(others or 0),
    )
