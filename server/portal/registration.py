"""MyKey ID registration (画面16), one transaction per step.

The browser opens the page with a ticket (:func:`start`), which becomes a registration
session.  The session remembers what the rules depend on: candidates generated (at most
3; the third one is the one registered), failed duplicate checks (after 3, a candidate is
generated for the resident).  :func:`register` checks every field again and creates the
MyKey ID, binds the ticket's certificate, the My Page account, the default municipal
account and the "registered" notice, all at once.  :func:`bind_renewed` binds the
ticket's (renewed card's) certificate to an existing MyKey ID instead — only when the
ticket carries a proof of renewal for that very MyKey ID (the old card signed the same
challenge at the counter, or J-LIS linked the old certificate to the new one), and the
holder's password is right.  A password alone never binds a card
(``rebind_proof_required``; see :mod:`server.identity.rebinding`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit.log import OK, Actor, record
from server.db import Database, utcnow
from server.identity.models import CertificateBinding, MyKey
from server.identity.mykey import binding_of, find_mykey, generate_mykey_id
from server.identity.rebinding import NewCertificate, RebindProof, bind_renewed_card
from server.notices import NoticeKind, enqueue_notice
from server.portal import accounts
from server.portal import login as login_steps
from server.portal.forms import (
    FormErrors,
    Refused,
    RegistrationForm,
    candidate_error,
    registration_errors,
)
from server.portal.models import PortalAccount, PortalSession, RegistrationTicket
from server.portal.passwords import hash_password
from server.portal.ratelimit import allow
from server.portal.sessions import KIND_REGISTER, create_session, csrf_ok, find_session
from server.portal.tickets import (
    PURPOSE_REBIND,
    PURPOSE_REGISTER,
    open_ticket,
    usable_ticket,
)
from server.portal.verification import send_verification

MAX_GENERATIONS = 3
MAX_DUPLICATE_ERRORS = 3
CHECK_LIMIT = 10
CHECK_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Started:
    cookie: str
    csrf_token: str


@dataclass(frozen=True)
class Generated:
    candidate: str
    count: int

    @property
    def final(self) -> bool:
        return self.count >= MAX_GENERATIONS


@dataclass(frozen=True)
class Checked:
    available: bool
    errors: int
    #: generated into the field after the third failed check
    suggested: str | None = None


@dataclass(frozen=True)
class RegisterState:
    csrf_token: str
    generated_count: int
    generated_last: str | None
    duplicate_errors: int
    expires_at: dt.datetime


#: who the audit log names for registrations (the resident has no MyKey ID yet)
PORTAL = Actor("portal", "registration")


def usable(db: Database, ticket: str) -> bool:
    """Whether the registration ticket would open (nothing is spent: a GET may ask)."""
    purposes = (PURPOSE_REGISTER, PURPOSE_REBIND)
    return db.transaction(lambda s: usable_ticket(s, ticket, utcnow(), purposes) is not None)


def start(db: Database, ticket: str) -> Started | None:
    """Claim the ticket and open a registration session; ``None`` if the ticket is
    unknown, expired or used."""

    def work(session: Session) -> Started | None:
        now = utcnow()
        row = open_ticket(session, ticket, now)
        if row is None:
            return None
        cookie, live = create_session(session, KIND_REGISTER, now, ticket_pk=row.id)
        live.expires_at = min(live.expires_at, row.expires_at + dt.timedelta(minutes=20))
        return Started(cookie, live.csrf_token)

    return db.transaction(work)


def _live(
    session: Session, cookie: str | None, csrf: str | None, now: dt.datetime
) -> PortalSession:
    """The live registration session, whose CSRF token ``csrf`` must be."""
    row = find_session(session, cookie, KIND_REGISTER, now)
    if row is None:
        raise Refused("session_expired", 401)
    if not csrf_ok(row, csrf):
        raise Refused("csrf", 403)
    return row


def state(db: Database, cookie: str | None) -> RegisterState | None:
    def work(session: Session) -> RegisterState | None:
        row = find_session(session, cookie, KIND_REGISTER, utcnow())
        if row is None:
            return None
        return RegisterState(
            row.csrf_token,
            row.generated_count,
            row.generated_last,
            row.duplicate_errors,
            row.expires_at,
        )

    return db.transaction(work)


def _free_candidate(session: Session) -> str:
    while True:  # 36^8 ≈ 2.8e12 IDs: a collision is rare, two in a row never happen
        candidate = generate_mykey_id()
        if find_mykey(session, candidate) is None:
            return candidate


def generate(db: Database, cookie: str | None, csrf: str | None) -> Generated:
    """The next generated candidate; after the third, ``generate_limit`` (the third
    candidate stays the one to register)."""

    def work(session: Session) -> Generated:
        row = _live(session, cookie, csrf, utcnow())
        if row.generated_count >= MAX_GENERATIONS:
            raise Refused("generate_limit", 409)
        row.generated_count += 1
        row.generated_last = _free_candidate(session)
        return Generated(row.generated_last, row.generated_count)

    return db.transaction(work)


def check(
    db: Database, cookie: str | None, csrf: str | None, candidate: str, client: str
) -> Checked:
    """The duplicate check of a typed candidate (rate-limited per session and client).
    A taken candidate counts an error; the third error generates a candidate."""

    def work(session: Session) -> Checked | Refused:
        now = utcnow()
        row = _live(session, cookie, csrf, now)
        if row.generated_count >= MAX_GENERATIONS:
            return Refused("candidate_not_third", 409)
        if not (
            allow(session, f"check:{row.id}", CHECK_LIMIT, CHECK_WINDOW, now)
            and allow(session, f"check-ip:{client}", CHECK_LIMIT * 6, CHECK_WINDOW, now)
        ):
            return Refused("rate_limited", 429)  # the events are committed
        problem = candidate_error(candidate)
        if problem:
            return Refused(problem, 400)
        if find_mykey(session, candidate) is None:
            return Checked(True, row.duplicate_errors)
        row.duplicate_errors += 1
        if row.duplicate_errors % MAX_DUPLICATE_ERRORS == 0:
            row.suggested = _free_candidate(session)
            return Checked(False, row.duplicate_errors, row.suggested)
        return Checked(False, row.duplicate_errors)

    outcome = db.transaction(work)
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def _ticket(session: Session, row: PortalSession) -> RegistrationTicket:
    ticket = session.get(RegistrationTicket, row.ticket_pk) if row.ticket_pk else None
    if ticket is None:
        raise Refused("session_expired", 401)
    if binding_of(session, ticket.fingerprint) is not None:
        raise Refused("already_registered", 409)
    return ticket


def _bind(session: Session, mykey: MyKey, ticket: RegistrationTicket) -> None:
    session.add(
        CertificateBinding(
            mykey_pk=mykey.id,
            mykey=mykey,
            fingerprint=ticket.fingerprint,
            issuer=ticket.issuer,
            serial=ticket.serial,
            not_after=ticket.not_after,
        )
    )


def register(
    db: Database,
    cookie: str | None,
    csrf: str | None,
    form: RegistrationForm,
    lang: str,
    base_url: str = "",
) -> str:
    """Create the MyKey ID from the form; its ID. Raises :class:`FormErrors` (per field)
    or :class:`Refused` (the session).  An e-mail address is mailed a verification link
    (``base_url``: the portal's origin); notices wait until it is followed."""
    errors = registration_errors(form)
    password_hash = hash_password(form.password) if not errors else ""

    def work(session: Session) -> str:
        now = utcnow()
        row = _live(session, cookie, csrf, now)
        ticket = _ticket(session, row)
        problems = dict(errors)
        if row.generated_count >= MAX_GENERATIONS and form.mykey_id != row.generated_last:
            problems["mykey_id"] = "candidate_not_third"
        elif "mykey_id" not in problems and find_mykey(session, form.mykey_id) is not None:
            problems["mykey_id"] = "candidate_taken"
        code = form.default_municipality
        if code and code not in dict(accounts.municipality_choices(session)):
            problems["default_municipality"] = "municipality_unknown"
        if problems:
            raise FormErrors(problems)
        mykey = MyKey(mykey_id=form.mykey_id, created_at=now)
        session.add(mykey)
        session.flush()
        _bind(session, mykey, ticket)
        session.add(
            PortalAccount(
                mykey_pk=mykey.id,
                password_hash=password_hash,
                email=form.email or None,
                lang=lang,
                notify_points_granted=form.notices.points_granted,
                notify_points_expired=form.notices.points_expired,
                notify_password_changed=form.notices.password_changed,
                notify_mykey=form.notices.mykey,
                created_at=now,
                password_changed_at=now,
            )
        )
        session.flush()
        account = accounts.account_of(session, mykey.id)
        send_verification(session, account, base_url, now)
        if code:
            accounts.set_default(session, mykey.id, code)
        enqueue_notice(session, mykey.id, NoticeKind.MYKEY_REGISTERED, {"mykey_id": mykey.mykey_id})
        record(session, PORTAL, "portal.register", OK, certificate_sha256=ticket.fingerprint)
        row.ended_at = now
        return mykey.mykey_id

    try:
        return db.transaction(work)
    except IntegrityError:  # the candidate or the certificate was taken meanwhile
        raise FormErrors({"mykey_id": "candidate_taken"}) from None


def _proven_mykey(session: Session, ticket: RegistrationTicket) -> MyKey | None:
    """The MyKey ID the ticket's card is proven to renew (its old binding still live)."""
    if ticket.old_binding_pk is None:
        return None
    old = session.get(CertificateBinding, ticket.old_binding_pk)
    if old is None or not old.live:
        return None
    return old.mykey


def bind_renewed(
    db: Database, cookie: str | None, csrf: str | None, mykey_id: str, password: str, client: str
) -> str:
    """Bind the ticket's certificate (a renewed card) to the MyKey ID its proof names,
    after the holder's password; the MyKey ID and its links carry over, the old card is
    retired and the holder mailed.  Its ID.

    Refused with ``rebind_proof_required`` — before the password is even checked, so
    nothing changes and no password is tried — when the ticket proves no renewal, or a
    renewal of another MyKey ID than the one typed.
    """

    def proven_for(
        session: Session, now: dt.datetime
    ) -> tuple[PortalSession, RegistrationTicket, MyKey] | Refused:
        row = _live(session, cookie, csrf, now)
        ticket = _ticket(session, row)
        proven = _proven_mykey(session, ticket)
        if proven is None or proven.mykey_id != mykey_id.strip().upper():
            return Refused("rebind_proof_required", 403)
        return row, ticket, proven

    def first(session: Session) -> login_steps.Attempt | Refused:
        now = utcnow()
        found = proven_for(session, now)
        if isinstance(found, Refused):
            return found
        return login_steps.begin(session, mykey_id, client, now)

    attempt = db.transaction(first)  # committed: the rate event, a delay in flight
    if isinstance(attempt, Refused):
        raise attempt
    correct = login_steps.verify(attempt, password)  # outside any transaction

    def work(session: Session) -> str | Refused:
        now = utcnow()
        found = proven_for(session, now)
        if isinstance(found, Refused):
            return found
        row, ticket, proven = found
        account = login_steps.settle(session, attempt, correct, client, now)
        if isinstance(account, Refused):
            return account  # the failure is committed
        if account.mykey_pk != proven.id:
            return Refused("rebind_proof_required", 403)
        new = NewCertificate(ticket.fingerprint, ticket.issuer, ticket.serial, ticket.not_after)
        proof = RebindProof(ticket.rebind_proof or RebindProof.OLD_CARD.value)
        bind_renewed_card(session, proven, new, proof, now)
        record(
            session,
            PORTAL,
            "portal.bind_renewed",
            OK,
            certificate_sha256=ticket.fingerprint,
            proof=proof.value,
        )
        row.ended_at = now
        return proven.mykey_id

    try:
        outcome = db.transaction(work, retry_unique=True)
    except IntegrityError:  # the same card was bound by another session meanwhile
        raise Refused("already_registered", 409) from None
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def municipalities(db: Database) -> list[tuple[str, str]]:
    """(code, name) of the municipalities a default account may be in."""
    return db.transaction(accounts.municipality_choices)
