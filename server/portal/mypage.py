"""My Page, one transaction per step: log in and out, what the page shows, and each change
the resident may make (service IDs, reserved points, default account, notices, password,
e-mail)."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import hooks
from server.audit.log import audited
from server.db import Database, new_id, utcnow
from server.errors import PlatformError
from server.identity import links
from server.identity.link_codes import redeem_code
from server.identity.models import CONFIRMED_BY_CODE, Service, ServiceLink
from server.ledger import holders
from server.notices import NoticeKind, enqueue_notice
from server.portal import accounts, verification
from server.portal import login as login_steps
from server.portal.forms import FormErrors, Notices, Refused, email_errors, password_errors
from server.portal.i18n import MESSAGES
from server.portal.models import PortalSession
from server.portal.passwords import hash_password, verify_password
from server.portal.ratelimit import allow
from server.portal.sessions import KIND_MYPAGE, create_session, find_session

T = TypeVar("T")
#: password changes (each verifying the current password) per account
CHANGE_LIMIT = 5
CHANGE_WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class LoggedIn:
    cookie: str
    csrf_token: str


@dataclass(frozen=True)
class Link:
    service: str
    display_name: str
    external_id: str
    valid: bool
    #: confirmed by the provider; ``False``: a pending claim the desk refuses
    confirmed: bool


@dataclass(frozen=True)
class Overview:
    """Everything My Page shows."""

    mykey_id: str
    csrf_token: str
    email: str | None
    email_verified: bool
    notices: Notices
    links: list[Link]
    services: list[tuple[str, str]]
    balances: list[object]
    history: list[object]
    reserved: int
    default_municipality: str | None
    municipalities: list[tuple[str, str]]


def login(db: Database, mykey_id: str, password: str, client: str) -> LoggedIn:
    """A My Page session, or :class:`Refused` (the failure counted and committed).  The
    password is verified between two short transactions, never inside one."""
    spec = hooks.portal_login(mykey_id, client)
    attempt = db.transaction(lambda session: login_steps.begin(session, mykey_id, client, utcnow()))
    if isinstance(attempt, Refused):
        refused = attempt
        audited(db, lambda session: refused, spec)
        raise refused
    correct = login_steps.verify(attempt, password)

    def work(session: Session) -> LoggedIn | Refused:
        now = utcnow()
        account = login_steps.settle(session, attempt, correct, client, now)
        if isinstance(account, Refused):
            return account
        cookie, row = create_session(session, KIND_MYPAGE, now, mykey_pk=account.mykey_pk)
        return LoggedIn(cookie, row.csrf_token)

    outcome = audited(db, work, spec, retry_unique=True)
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def logout(db: Database, cookie: str | None, csrf: str | None) -> None:
    """End the session; ``csrf`` (the session's token) is required, so that another site
    cannot log the resident out."""

    def work(session: Session) -> None:
        row = find_session(session, cookie, KIND_MYPAGE, utcnow())
        if row is None:
            return
        if not csrf or not _same(row.csrf_token, csrf):
            raise Refused("csrf", 403)
        row.ended_at = utcnow()

    db.transaction(work)


def _in_session(
    db: Database, cookie: str | None, csrf: str | None, step: Callable[[Session, PortalSession], T]
) -> T:
    """Run ``step`` for the logged-in resident; for a change, ``csrf`` must be the
    session's token (``None``: a read)."""

    def work(session: Session) -> T:
        row = find_session(session, cookie, KIND_MYPAGE, utcnow())
        if row is None or row.mykey_pk is None:
            raise Refused("session_expired", 401)
        if csrf is not None and not _same(row.csrf_token, csrf):
            raise Refused("csrf", 403)
        return step(session, row)

    return db.transaction(work)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def overview(db: Database, cookie: str | None) -> Overview:
    def step(session: Session, row: PortalSession) -> Overview:
        assert row.mykey_pk is not None
        pk = row.mykey_pk
        account = accounts.account_of(session, pk)
        linked = session.execute(
            select(ServiceLink, Service)
            .join(Service, Service.id == ServiceLink.service_pk)
            .where(ServiceLink.mykey_pk == pk)
            .order_by(Service.name)
        ).all()
        services = session.execute(
            select(Service.name, Service.display_name).order_by(Service.name)
        )
        return Overview(
            mykey_id=accounts.mykey_of(session, pk).mykey_id,
            csrf_token=row.csrf_token,
            email=account.email,
            email_verified=account.email_verified_at is not None,
            notices=Notices(
                account.notify_points_granted,
                account.notify_points_expired,
                account.notify_password_changed,
                account.notify_mykey,
            ),
            links=[
                Link(s.name, s.display_name, link.external_id, link.valid, link.confirmed)
                for link, s in linked
            ],
            services=[(name, display) for name, display in services],
            balances=list(holders.balances(session, pk)),
            history=list(holders.history(session, pk)),
            reserved=holders.reserved_points(session, pk),
            default_municipality=holders.default_municipality(session, pk),
            municipalities=holders.municipalities(session),
        )

    return _in_session(db, cookie, None, step)


def link_service(
    db: Database,
    cookie: str | None,
    csrf: str,
    service_name: str,
    external_id: str,
    code: str = "",
) -> None:
    """Claim the resident's ID at a service (it must have the service's format).

    Without a linking code the claim is pending until the provider confirms it; with a
    valid code for this very ID it is confirmed at once (see :mod:`server.identity.links`).
    """
    external_id = external_id.strip()
    code = code.strip()

    def step(session: Session, row: PortalSession) -> None:
        assert row.mykey_pk is not None
        service = session.scalar(select(Service).where(Service.name == service_name))
        if service is None:
            raise FormErrors({"service": "service_unknown"})
        if not links.well_formed(service, external_id):
            raise FormErrors({"service_id": "service_id_format"})
        holder = links.confirmed_holder(session, service, external_id)
        if holder is not None and holder != row.mykey_pk:
            raise FormErrors({"service_id": "service_id_taken"})
        mine = links.holders_link(session, row.mykey_pk, service)
        if code:
            _link_with_code(session, row.mykey_pk, service, external_id, code, mine)
            return
        if mine is not None:
            raise FormErrors({"service_id": "service_linked_already"})
        session.add(
            ServiceLink(
                mykey_pk=row.mykey_pk,
                service_pk=service.id,
                external_id=external_id,
                linked_at=utcnow(),
            )
        )
        session.flush()

    try:
        _in_session(db, cookie, csrf, step)
    except IntegrityError:
        raise FormErrors({"service_id": "service_id_taken"}) from None


def _link_with_code(
    session: Session,
    mykey_pk: uuid.UUID,
    service: Service,
    external_id: str,
    code: str,
    mine: ServiceLink | None,
) -> None:
    if mine is not None and (mine.external_id != external_id or mine.confirmed):
        raise FormErrors({"service_id": "service_linked_already"})
    now = utcnow()
    try:
        redeem_code(session, service, external_id, code, now)
    except PlatformError:
        raise FormErrors({"code": "link_code_invalid"}) from None
    link = mine or ServiceLink(
        mykey_pk=mykey_pk, service_pk=service.id, external_id=external_id, linked_at=now
    )
    if mine is None:
        session.add(link)
        session.flush()
    links.confirm(session, link, CONFIRMED_BY_CODE, now)


def unlink_service(db: Database, cookie: str | None, csrf: str, service_name: str) -> None:
    def step(session: Session, row: PortalSession) -> None:
        service = session.scalar(select(Service).where(Service.name == service_name))
        link = (
            session.scalar(
                select(ServiceLink).where(
                    ServiceLink.service_pk == service.id, ServiceLink.mykey_pk == row.mykey_pk
                )
            )
            if service is not None
            else None
        )
        if link is None:
            raise FormErrors({"service": "service_unknown"})
        session.delete(link)

    _in_session(db, cookie, csrf, step)


def _ledger_step(
    db: Database, cookie: str | None, csrf: str, step: Callable[[Session, uuid.UUID], None]
) -> None:
    def run(session: Session, row: PortalSession) -> None:
        assert row.mykey_pk is not None
        step(session, row.mykey_pk)

    _in_session(db, cookie, csrf, run)


def assign_reserved(db: Database, cookie: str | None, csrf: str, code: str, points: int) -> None:
    """Move reserved support points to a municipality's account (PlatformError on refusal)."""
    if points <= 0:
        raise FormErrors({"points": "points_invalid"})
    transfer_id = new_id()  # chosen once: a retried transaction is the same transfer

    def step(session: Session, pk: uuid.UUID) -> None:
        holders.assign_reserved(session, pk, code, points, transfer_id)

    _ledger_step(db, cookie, csrf, step)


def set_default(db: Database, cookie: str | None, csrf: str, code: str) -> None:
    def step(session: Session, pk: uuid.UUID) -> None:
        if code not in dict(accounts.municipality_choices(session)):
            raise FormErrors({"default_municipality": "municipality_unknown"})
        accounts.set_default(session, pk, code)

    _ledger_step(db, cookie, csrf, step)


def set_notices(db: Database, cookie: str | None, csrf: str, notices: Notices) -> None:
    def step(session: Session, pk: uuid.UUID) -> None:
        account = accounts.account_of(session, pk)
        if notices.any() and not account.email:
            raise FormErrors({"email": "email_needed"})
        account.notify_points_granted = notices.points_granted
        account.notify_points_expired = notices.points_expired
        account.notify_password_changed = notices.password_changed
        account.notify_mykey = notices.mykey

    _ledger_step(db, cookie, csrf, step)


def change_password(
    db: Database, cookie: str | None, csrf: str, current: str, new: str, confirm: str
) -> None:
    """Change the password after the current one; argon2 runs between two short
    transactions (the hash read, then written only if unchanged meanwhile)."""

    def read(session: Session, pk: uuid.UUID) -> tuple[str, str]:
        # a stolen session must not become a way to guess the current password
        if not allow(session, f"password-change:{pk}", CHANGE_LIMIT, CHANGE_WINDOW, utcnow()):
            raise Refused("rate_limited", 429)
        return accounts.account_of(session, pk).password_hash, accounts.mykey_of(
            session, pk
        ).mykey_id

    old_hash, mykey_id = _in_session(db, cookie, csrf, lambda s, row: _read_as(s, row, read))
    errors = password_errors(new, confirm, "new_password", mykey_id)
    if errors:
        raise FormErrors(errors)
    if not verify_password(old_hash, current):
        raise FormErrors({"current_password": "current_password_wrong"})
    new_hash = hash_password(new)

    def step(session: Session, pk: uuid.UUID) -> None:
        account = accounts.account_of(session, pk)
        if account.password_hash != old_hash:  # changed by another request meanwhile
            raise FormErrors({"current_password": "current_password_wrong"})
        account.password_hash = new_hash
        account.password_changed_at = utcnow()
        enqueue_notice(session, pk, NoticeKind.PASSWORD_CHANGED, {})

    _ledger_step(db, cookie, csrf, step)


def _read_as(session: Session, row: PortalSession, read: Callable[[Session, uuid.UUID], T]) -> T:
    assert row.mykey_pk is not None
    return read(session, row.mykey_pk)


def change_email(
    db: Database, cookie: str | None, csrf: str, email: str, confirm: str, base_url: str = ""
) -> None:
    """Change the address; a new one is unverified (and mailed a link) until confirmed."""

    def step(session: Session, pk: uuid.UUID) -> None:
        account = accounts.account_of(session, pk)
        wants = account.notify_points_granted or account.notify_points_expired
        wants = wants or account.notify_password_changed or account.notify_mykey
        errors = email_errors(email, confirm, wants)
        if errors:
            raise FormErrors(errors)
        verification.set_email(session, account, email or None, base_url, utcnow())

    _ledger_step(db, cookie, csrf, step)


def resend_verification(db: Database, cookie: str | None, csrf: str, base_url: str) -> None:
    """Mail the verification link again (a few times an hour at most)."""

    def step(session: Session, pk: uuid.UUID) -> None:
        account = accounts.account_of(session, pk)
        if not account.email or account.email_verified_at is not None:
            raise FormErrors({"email": "email_nothing_to_verify"})
        if not verification.send_verification(session, account, base_url, utcnow()):
            raise Refused("rate_limited", 429)

    _ledger_step(db, cookie, csrf, step)


def verify_usable(db: Database, token: str) -> bool:
    return db.transaction(lambda session: verification.usable(session, token, utcnow()))


def verify_email(db: Database, token: str) -> bool:
    """Spend an e-mail verification link; whether it verified the address."""
    return db.transaction(lambda session: verification.verify(session, token, utcnow())) is not None


def ledger_refusal(error: PlatformError) -> FormErrors:
    """A ledger refusal shown next to the form, in the resident's language (a code without
    its own words says the points could not be moved)."""
    key = f"ledger_{error.code.value}"
    return FormErrors({"ledger": key if key in MESSAGES else "ledger_other"})
