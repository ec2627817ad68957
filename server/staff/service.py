"""Staff accounts: the operator's commands (add, list, disable, reset) and the credential
check a grant or an approval makes.

A check is split so that argon2 runs outside any transaction: :func:`authenticate` reads
the account in one short transaction, verifies the code with none open, and on failure
records the failure (a growing lock kept in the database) in another; the caller then
:func:`confirm`\\ s the result inside its own transaction, where a conditional UPDATE makes
sure the account did not change meanwhile and a TOTP step is spent once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.db import Database
from server.errors import OperatorError, PlatformError
from server.ledger.models import Municipality
from server.staff import credentials
from server.staff.models import CredentialKind, StaffAccount, StaffRole
from server.text import clean

#: the one answer to every failed check: unknown login, wrong or replayed code, disabled,
#: locked — so a caller learns nothing about which
BAD_CREDENTIAL = "the staff login or code is not right (or the account is locked for a while)"


def _refused() -> PlatformError:
    return PlatformError(ErrorCode.STAFF_CREDENTIAL_INVALID, BAD_CREDENTIAL)


def _municipality(session: Session, code: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.code == code))
    if found is None:
        raise OperatorError(f"no municipality {code}")
    return found


def by_login(session: Session, login: str) -> StaffAccount:
    found = session.scalar(select(StaffAccount).where(StaffAccount.login == login))
    if found is None:
        raise OperatorError(f"no staff account {login}")
    return found


def _set_credential(account: StaffAccount, pin: str | None, totp: bool) -> None:
    if (pin is None) == (not totp):
        raise OperatorError("give the account either a staff PIN or TOTP")
    if pin is not None:
        if not credentials.is_valid_pin(pin):
            raise OperatorError("a staff PIN is 6 to 12 digits, not all the same one")
        account.credential_kind = CredentialKind.PIN.value
        account.pin_hash, account.totp_secret = credentials.hash_pin(pin), None
    else:
        account.credential_kind = CredentialKind.TOTP.value
        account.pin_hash, account.totp_secret = None, credentials.new_totp_secret()
    account.totp_last_step = None
    account.failed_checks, account.locked_until = 0, None


def add_staff(
    session: Session,
    login: str,
    name: str,
    municipality_code: str,
    *,
    pin: str | None = None,
    totp: bool = False,
    role: StaffRole = StaffRole.GRANT,
) -> StaffAccount:
    """A new staff account with a PIN, or a new TOTP secret (``account.totp_secret``)."""
    if not credentials.is_valid_login(login):
        raise OperatorError("a login is 2 to 32 of a-z 0-9 . _ -, starting with a letter")
    display = clean(name)
    if not display or len(display) > 128:
        raise OperatorError("give the staff member's name (up to 128 characters)")
    if session.scalar(select(StaffAccount.id).where(StaffAccount.login == login)) is not None:
        raise OperatorError(f"staff account {login} exists already")
    account = StaffAccount(
        login=login,
        display_name=display,
        municipality_pk=_municipality(session, municipality_code).id,
        role=role.value,
        credential_version=1,
        disabled=False,
    )
    _set_credential(account, pin, totp)
    session.add(account)
    session.flush()
    return account


def list_staff(session: Session, municipality_code: str | None = None) -> list[StaffAccount]:
    query = select(StaffAccount).order_by(StaffAccount.login)
    if municipality_code is not None:
        query = query.where(
            StaffAccount.municipality_pk == _municipality(session, municipality_code).id
        )
    return list(session.scalars(query))


def municipality_code(session: Session, account: StaffAccount) -> str:
    return session.get_one(Municipality, account.municipality_pk).code


def disable(session: Session, login: str, now: dt.datetime | None = None) -> StaffAccount:
    account = by_login(session, login)
    account.disabled = True
    account.updated_at = now or dt.datetime.now(dt.UTC)
    session.flush()
    return account


def reset_credential(
    session: Session, login: str, *, pin: str | None = None, totp: bool = False
) -> StaffAccount:
    """A new PIN or TOTP secret; checks made against the old one no longer land."""
    account = by_login(session, login)
    _set_credential(account, pin, totp)
    account.credential_version += 1
    account.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return account


@dataclass(frozen=True)
class Verified:
    """A credential that matched, to be confirmed inside the caller's transaction."""

    staff_pk: uuid.UUID
    login: str
    credential_version: int
    totp_step: int | None


@dataclass(frozen=True)
class _Snapshot:
    staff_pk: uuid.UUID
    kind: str
    pin_hash: str | None
    totp_secret: str | None
    last_step: int | None
    version: int


def _snapshot(session: Session, login: str, now: dt.datetime) -> _Snapshot | None:
    account = session.scalar(select(StaffAccount).where(StaffAccount.login == login))
    if account is None or account.disabled:
        return None
    if account.locked_until is not None and now < account.locked_until:
        return None
    return _Snapshot(
        account.id,
        account.credential_kind,
        account.pin_hash,
        account.totp_secret,
        account.totp_last_step,
        account.credential_version,
    )


def _matches(found: _Snapshot, code: str, now: dt.datetime) -> tuple[bool, int | None]:
    if found.kind == CredentialKind.PIN.value and found.pin_hash:
        return credentials.verify_pin(found.pin_hash, code), None
    if found.kind == CredentialKind.TOTP.value and found.totp_secret:
        step = credentials.totp_step(found.totp_secret, code, now)
        fresh = step is not None and (found.last_step is None or step > found.last_step)
        return fresh, step
    return False, None


def _record_failure(session: Session, staff_pk: uuid.UUID, now: dt.datetime) -> None:
    account = session.get(StaffAccount, staff_pk)
    if account is None:
        return
    account.failed_checks += 1
    lock = credentials.lock_after(account.failed_checks)
    if lock is not None:
        account.locked_until = now + lock


def authenticate(db: Database, login: str, code: str, now: dt.datetime) -> Verified:
    """Check ``code`` against ``login``'s credential; ``staff_credential_invalid`` (one
    answer for every failure) otherwise, the failure counted against the account."""
    if not credentials.is_valid_login(login) or not credentials.looks_like_code(code):
        raise _refused()
    found = db.transaction(lambda session: _snapshot(session, login, now))
    if found is None:
        credentials.verify_pin(credentials.DUMMY_HASH, code)  # the same cost either way
        raise _refused()
    matched, step = _matches(found, code, now)
    if not matched:
        db.transaction(lambda session: _record_failure(session, found.staff_pk, now))
        raise _refused()
    return Verified(found.staff_pk, login, found.version, step)


def confirm(session: Session, verified: Verified, now: dt.datetime) -> StaffAccount:
    """Inside the caller's transaction: the account is as it was checked (enabled, same
    credential, not locked), its failures are cleared and a TOTP step is spent."""
    table = StaffAccount.__table__.c
    conditions = [
        table.id == verified.staff_pk,
        table.credential_version == verified.credential_version,
        table.disabled.is_(False),
        or_(table.locked_until.is_(None), table.locked_until <= now),
    ]
    values: dict[str, object] = {"failed_checks": 0, "locked_until": None}
    if verified.totp_step is not None:
        conditions.append(
            or_(table.totp_last_step.is_(None), table.totp_last_step < verified.totp_step)
        )
        values["totp_last_step"] = verified.totp_step
    result = session.execute(
        update(StaffAccount)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        raise _refused()
    account = session.get_one(StaffAccount, verified.staff_pk)
    session.refresh(account)
    if account.role != StaffRole.GRANT.value:
        raise _refused()
    return account
