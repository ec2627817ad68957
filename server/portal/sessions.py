"""Browser sessions of the portal: a random cookie (its SHA-256 stored) and a CSRF token."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.portal.models import PortalSession
from server.portal.tickets import token_hash

#: ``__Host-``: Secure, Path=/, no Domain (see :mod:`server.portal.pages`)
COOKIE = "__Host-mykey_portal"
KIND_REGISTER = "register"
KIND_MYPAGE = "mypage"
#: a password reset opened by a card-proven ticket
KIND_RESET = "reset"
TTL = {
    KIND_REGISTER: dt.timedelta(minutes=30),
    KIND_MYPAGE: dt.timedelta(minutes=30),
    KIND_RESET: dt.timedelta(minutes=15),
}


def create_session(
    session: Session,
    kind: str,
    now: dt.datetime,
    *,
    ticket_pk: uuid.UUID | None = None,
    mykey_pk: uuid.UUID | None = None,
) -> tuple[str, PortalSession]:
    """A new session of ``kind``; the cookie value (never stored) and its row."""
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        token_hash=token_hash(token),
        kind=kind,
        ticket_pk=ticket_pk,
        mykey_pk=mykey_pk,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + TTL[kind],
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(
    session: Session, token: str | None, kind: str, now: dt.datetime
) -> PortalSession | None:
    """The live session of ``kind`` for this cookie value, else ``None``."""
    if not token:
        return None
    row = session.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash(token)))
    if row is None or row.kind != kind or row.ended_at is not None or now >= row.expires_at:
        return None
    return row


def csrf_ok(row: PortalSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(row.csrf_token, sent or "")
