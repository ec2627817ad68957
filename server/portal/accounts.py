"""My Page accounts: logging in (rate limit, lockout) and what the resident may change.

Functions here take a :class:`Session` and never commit; :mod:`server.portal.mypage`
runs them in transactions.  The ledger's side (balances, reserved points, the default
municipal account) is :mod:`server.ledger.holders`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.models import MyKey
from server.identity.mykey import find_mykey
from server.ledger import holders
from server.portal.forms import Refused
from server.portal.models import PortalAccount
from server.portal.passwords import DUMMY_HASH, verify_password
from server.portal.ratelimit import allow

#: consecutive failed logins that lock a MyKey ID, and for how long
LOCKOUT_AFTER = 5
LOCKOUT_FOR = dt.timedelta(minutes=15)
#: login attempts per client address
LOGIN_LIMIT = 20
LOGIN_WINDOW = dt.timedelta(minutes=1)


def account_of(session: Session, mykey_pk: uuid.UUID) -> PortalAccount:
    account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey_pk))
    assert account is not None, "every portal session belongs to an account"
    return account


def authenticate(
    session: Session, mykey_id: str, password: str, client: str, now: dt.datetime
) -> PortalAccount:
    """The account for these credentials, or :class:`Refused` — whose effects (the
    failure count, the lockout, the rate event) the caller must commit."""
    if not allow(session, f"login-ip:{client}", LOGIN_LIMIT, LOGIN_WINDOW, now):
        raise Refused("rate_limited", 429)
    mykey = find_mykey(session, mykey_id.strip().upper()) if mykey_id else None
    account = (
        session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey.id))
        if mykey is not None
        else None
    )
    if account is None:
        verify_password(DUMMY_HASH, password)  # the same cost as a known ID
        raise Refused("login_failed", 401)
    if account.locked_until is not None and now < account.locked_until:
        raise Refused("login_locked", 423)
    if not verify_password(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= LOCKOUT_AFTER:
            account.failed_logins = 0
            account.locked_until = now + LOCKOUT_FOR
            raise Refused("login_locked", 423)
        raise Refused("login_failed", 401)
    account.failed_logins = 0
    account.locked_until = None
    return account


def mykey_of(session: Session, mykey_pk: uuid.UUID) -> MyKey:
    mykey = session.get(MyKey, mykey_pk)
    assert mykey is not None
    return mykey


def municipality_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every municipality, for the default account."""
    return holders.municipalities(session)


def set_default(session: Session, mykey_pk: uuid.UUID, code: str) -> None:
    holders.set_default_municipality(session, mykey_pk, code)
