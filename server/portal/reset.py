"""Resetting a forgotten My Page password with the card — never by e-mail alone.

A counter (an enrolled terminal) proves the card as at registration: the card signs a
platform challenge, the terminal signs the request.  For a card bound to a MyKey ID with
a My Page account, the platform answers a one-time reset ticket (:func:`issue_reset_ticket`,
a :class:`RegistrationTicket` row of purpose ``reset``).  Its link's GET shows a button;
the button's POST spends it and opens a short reset session (:func:`start`); the form
sets a new password (the rule and the common-password list apply) and ends every other
session of the account (:func:`reset_password`).

A home reader (the resident's own PC/SC reader, no enrolled terminal) would need another
way to prove the challenge came from the card at the resident's hands: that is the seam
of :func:`issue_reset_ticket`, which takes the already proven card's facts from
:func:`server.identity.proof.prove_card` and nothing else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode, RegistrationTicket, RegistrationTicketRequest
from server.audit.hooks import terminal_actor
from server.audit.log import OK, Actor, AuditSpec, audited, record, sha256_hex
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.models import MyKey
from server.identity.mykey import binding_of
from server.identity.proof import decode_proof, prove_card
from server.notices import NoticeKind, enqueue_notice
from server.portal import login as login_steps
from server.portal.forms import FormErrors, Refused, password_errors
from server.portal.models import PortalAccount, PortalSession
from server.portal.models import RegistrationTicket as TicketRow
from server.portal.passwords import hash_password
from server.portal.sessions import KIND_RESET, create_session, csrf_ok, find_session
from server.portal.tickets import open_ticket, ticket_row, usable_ticket
from server.terminals.models import Terminal

RESET_PATH = "/portal/reset"
PURPOSE_RESET = "reset"
PORTAL = Actor("portal", "password-reset")


@dataclass(frozen=True)
class Started:
    cookie: str
    csrf_token: str


@dataclass(frozen=True)
class ResetState:
    csrf_token: str
    mykey_id: str


def issue_reset_ticket(
    db: Database, terminal: Terminal, request: RegistrationTicketRequest, base_url: str
) -> RegistrationTicket:
    """Prove the card (spending the challenge) and answer a reset ticket for the MyKey ID
    it is bound to; ``not_registered`` for a card without a MyKey ID or My Page account."""
    if request.old_certificate is not None or request.old_signature is not None:
        raise PlatformError(ErrorCode.MALFORMED, "a password reset takes one card")
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)
    token = secrets.token_urlsafe(32)

    def work(session: Session) -> TicketRow | PlatformError:
        now = utcnow()
        try:
            card = prove_card(session, terminal, proof, now)
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        binding = card.binding
        account = (
            session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == binding.mykey_pk))
            if binding is not None
            else None
        )
        if account is None:
            return PlatformError(
                ErrorCode.NOT_REGISTERED,
                "this card has no My Page account: register a MyKey ID first",
            )
        row = ticket_row(token, PURPOSE_RESET, terminal, card, now)
        session.add(row)
        return row

    spec = AuditSpec(
        terminal_actor(terminal),
        "password_reset.ticket",
        {"certificate_sha256": sha256_hex(proof.certificate_der)},
    )
    outcome = audited(db, work, spec)
    if isinstance(outcome, PlatformError):
        raise outcome
    return RegistrationTicket(
        url=f"{base_url.rstrip('/')}{RESET_PATH}?ticket={token}",
        expires_at=outcome.expires_at,
        purpose=outcome.purpose,
    )


def usable(db: Database, ticket: str) -> bool:
    """Whether the reset ticket would open (nothing spent: a GET may ask)."""
    purposes = (PURPOSE_RESET,)
    return db.transaction(lambda s: usable_ticket(s, ticket, utcnow(), purposes) is not None)


def start(db: Database, ticket: str) -> Started | None:
    """Spend the ticket and open a reset session; ``None`` if it does not open."""

    def work(session: Session) -> Started | None:
        now = utcnow()
        row = open_ticket(session, ticket, now, (PURPOSE_RESET,))
        if row is None:
            return None
        cookie, live = create_session(session, KIND_RESET, now, ticket_pk=row.id)
        return Started(cookie, live.csrf_token)

    return db.transaction(work)


def _mykey(session: Session, row: PortalSession) -> MyKey:
    """The MyKey ID the session's ticket proved — its card still bound and live."""
    ticket = session.get(TicketRow, row.ticket_pk) if row.ticket_pk else None
    binding = binding_of(session, ticket.fingerprint) if ticket is not None else None
    if binding is None or not binding.live:
        raise Refused("session_expired", 401)
    return binding.mykey


def _live(session: Session, cookie: str | None, csrf: str | None) -> PortalSession:
    row = find_session(session, cookie, KIND_RESET, utcnow())
    if row is None:
        raise Refused("session_expired", 401)
    if csrf is not None and not csrf_ok(row, csrf):
        raise Refused("csrf", 403)
    return row


def state(db: Database, cookie: str | None) -> ResetState | None:
    def work(session: Session) -> ResetState | None:
        try:
            row = _live(session, cookie, None)
            return ResetState(row.csrf_token, _mykey(session, row).mykey_id)
        except Refused:
            return None

    return db.transaction(work)


def reset_password(db: Database, cookie: str | None, csrf: str, password: str, confirm: str) -> str:
    """Set the new password (hashed outside any transaction), end every other session of
    the account and its login delays; the MyKey ID.  :class:`FormErrors` for the form,
    :class:`Refused` for the session."""
    mykey_id = db.transaction(lambda s: _mykey(s, _live(s, cookie, csrf)).mykey_id)
    errors = password_errors(password, confirm, mykey_id=mykey_id)
    if errors:
        raise FormErrors(errors)
    new_hash = hash_password(password)

    def work(session: Session) -> str:
        now = utcnow()
        row = _live(session, cookie, csrf)
        mykey = _mykey(session, row)
        account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey.id))
        if account is None:
            raise Refused("session_expired", 401)
        account.password_hash = new_hash
        account.password_changed_at = now
        session.execute(
            update(PortalSession)
            .where(PortalSession.mykey_pk == mykey.id, PortalSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        login_steps.forget_failures(session, mykey.id)
        enqueue_notice(session, mykey.id, NoticeKind.PASSWORD_CHANGED, {})
        ticket = session.get(TicketRow, row.ticket_pk)
        assert ticket is not None
        record(session, PORTAL, "portal.password_reset", OK, certificate_sha256=ticket.fingerprint)
        row.ended_at = now
        return mykey.mykey_id

    return db.transaction(work)
