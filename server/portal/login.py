"""Checking a My Page password in three steps, so that argon2 never runs inside a
database transaction: :func:`begin` (a short transaction: the per-address rate limit,
the account's hash, the delay), :func:`verify` (no transaction), :func:`settle` (a short
transaction: count the failure, or clear the failures).

Every failure answers alike — ``login_failed``, 401, after the same argon2 cost — for an
unknown MyKey ID, a wrong password and an attempt that came too soon.  Failures slow only
the client address that made them, per MyKey ID (:class:`LoginFailure`): the delay
doubles with each failure after :data:`FREE_FAILURES`, up to :data:`MAX_DELAY`, and the
right password from any other address is never refused because of them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.mykey import find_mykey
from server.portal.forms import Refused
from server.portal.models import LoginFailure, PortalAccount
from server.portal.passwords import DUMMY_HASH, verify_password
from server.portal.ratelimit import allow

#: login attempts per client address (any MyKey ID)
LOGIN_LIMIT = 20
LOGIN_WINDOW = dt.timedelta(minutes=1)
#: failures (per MyKey ID and address) before the first delay, the first and the longest
FREE_FAILURES = 3
FIRST_DELAY = dt.timedelta(seconds=1)
MAX_DELAY = dt.timedelta(minutes=15)
CLIENT_MAX = 64


def delay_after(failures: int) -> dt.timedelta:
    """How long an address waits after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


@dataclass(frozen=True)
class Attempt:
    """What :func:`begin` read: the hash to verify against (:data:`DUMMY_HASH` when the
    answer is already "no"), and whether the password is really being tried."""

    mykey_pk: uuid.UUID | None
    password_hash: str
    tried: bool


def failed() -> Refused:
    """The one answer to every failed login."""
    return Refused("login_failed", 401)


def _failures(session: Session, mykey_pk: uuid.UUID, client: str) -> LoginFailure | None:
    return session.scalar(
        select(LoginFailure).where(
            LoginFailure.mykey_pk == mykey_pk, LoginFailure.client == client[:CLIENT_MAX]
        )
    )


def begin(session: Session, mykey_id: str, client: str, now: dt.datetime) -> Attempt | Refused:
    """The attempt to verify, or ``rate_limited`` for an address trying too many logins."""
    if not allow(session, f"login-ip:{client}", LOGIN_LIMIT, LOGIN_WINDOW, now):
        return Refused("rate_limited", 429)
    mykey = find_mykey(session, mykey_id.strip().upper()) if mykey_id else None
    account = (
        session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey.id))
        if mykey is not None
        else None
    )
    if account is None:
        return Attempt(None, DUMMY_HASH, tried=False)
    row = _failures(session, account.mykey_pk, client)
    if row is not None:
        if now < row.next_allowed_at:
            return Attempt(account.mykey_pk, DUMMY_HASH, tried=False)
        # this attempt is in flight: the address's next one waits as long as the last did,
        # so parallel guesses from one address do not slip past the delay
        row.next_allowed_at = now + delay_after(row.failures)
    return Attempt(account.mykey_pk, account.password_hash, tried=True)


def verify(attempt: Attempt, password: str) -> bool:
    """Verify outside any transaction (the same argon2 cost whatever the attempt)."""
    return verify_password(attempt.password_hash, password) and attempt.tried


def settle(
    session: Session, attempt: Attempt, correct: bool, client: str, now: dt.datetime
) -> PortalAccount | Refused:
    """The account when the password was right (and is still the account's); otherwise
    the failure is counted — returned, so that the count commits."""
    if not attempt.tried or attempt.mykey_pk is None:
        return failed()
    account = session.scalar(
        select(PortalAccount).where(PortalAccount.mykey_pk == attempt.mykey_pk)
    )
    if account is None:
        return failed()
    row = _failures(session, attempt.mykey_pk, client)
    if correct:
        if account.password_hash != attempt.password_hash:  # changed meanwhile
            return failed()
        if row is not None:
            session.delete(row)
        return account
    if row is None:
        row = LoginFailure(
            mykey_pk=attempt.mykey_pk, client=client[:CLIENT_MAX], failures=0, next_allowed_at=now
        )
        session.add(row)
    row.failures += 1
    row.next_allowed_at = now + delay_after(row.failures)
    return failed()


def forget_failures(session: Session, mykey_pk: uuid.UUID) -> None:
    """Clear every address's failures for this MyKey ID (its password was reset)."""
    for row in session.scalars(select(LoginFailure).where(LoginFailure.mykey_pk == mykey_pk)):
        session.delete(row)
