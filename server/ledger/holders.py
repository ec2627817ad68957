"""A holder's view of the ledger: balances, history, reserved points, the default account.

Used by the resident portal (My Page) and by terminals' points sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.db import utcnow
from server.errors import PlatformError
from server.ledger.expiry import expired_due
from server.ledger.models import (
    Account,
    AccountKind,
    HolderPreference,
    Municipality,
    PointEvent,
    Transfer,
)
from server.ledger.rules import municipality_by_code


@dataclass(frozen=True)
class AccountBalance:
    """One of a holder's accounts."""

    municipality_code: str
    municipality_name: str
    kind: str  # "regular" | "event" | "reserved"
    event_name: str | None
    balance: int
    held: int
    next_expiry: dt.date | None
    expiring_points: int
    event_code: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    """One movement of a holder's points (``amount`` positive for a credit)."""

    at: dt.datetime
    municipality_code: str | None
    code: str
    amount: int
    description: str


def _next_expiry(
    session: Session, account: Account, now: dt.datetime
) -> tuple[dt.date | None, int]:
    """The next date some of the account's points expire, and how many (spent first-expiring
    first: see server.ledger.expiry)."""
    dates = session.scalars(
        select(Transfer.points_expire_at)
        .where(
            Transfer.credit_account_pk == account.id,
            Transfer.pending.is_(False),
            Transfer.void_pending.is_(False),
            Transfer.points_expire_at > now,
        )
        .distinct()
        .order_by(Transfer.points_expire_at)
    ).all()
    already = expired_due(session, account, now)
    for when in dates:
        if when is None:
            continue
        left = expired_due(session, account, when) - already
        if left > 0:
            return when.date(), left
    return None, 0


def balances(session: Session, mykey_pk: uuid.UUID) -> list[AccountBalance]:
    """Every account of the holder: per municipality (regular and events), and the reserved
    support points (one line, all supporters together, municipality code ``""``)."""
    now = utcnow()
    accounts = session.scalars(
        select(Account).where(Account.mykey_pk == mykey_pk).order_by(Account.key)
    ).all()
    lines: list[AccountBalance] = []
    reserved = held_reserved = 0
    for account in accounts:
        if account.kind == AccountKind.RESERVED.value:
            reserved += account.balance
            held_reserved += account.debits_pending
            continue
        municipality = session.get_one(Municipality, account.municipality_pk)
        event = session.get(PointEvent, account.event_pk) if account.event_pk else None
        expired = expired_due(session, account, now)  # not yet swept by the job
        expiry, expiring = _next_expiry(session, account, now)
        lines.append(
            AccountBalance(
                municipality_code=municipality.code,
                municipality_name=municipality.name,
                kind="event" if event else "regular",
                event_name=event.name if event else None,
                event_code=event.code if event else None,
                balance=account.balance - expired,
                held=account.debits_pending,
                next_expiry=expiry,
                expiring_points=expiring,
            )
        )
    if reserved or held_reserved:
        lines.append(AccountBalance("", "", "reserved", None, reserved, held_reserved, None, 0))
    return lines


_DESCRIPTIONS = {
    "grant": "行政ポイント付与",
    "conversion": "地域経済応援ポイント受入",
    "assignment": "応援ポイントの自治体への割当",
    "auto_assignment": "応援ポイントの既定口座への自動割当",
    "payment": "ポイント利用",
    "refund": "ポイント利用の取消（返還）",
    "voucher_issue": "ポイント券の発行",
    "expiry": "ポイント失効",
}


def history(session: Session, mykey_pk: uuid.UUID, limit: int = 100) -> list[HistoryLine]:
    """The holder's posted movements, newest first (holds and voids are not shown)."""
    accounts = {
        a.id: a for a in session.scalars(select(Account).where(Account.mykey_pk == mykey_pk))
    }
    if not accounts:
        return []
    ids = list(accounts)
    rows = session.scalars(
        select(Transfer)
        .where(
            or_(Transfer.debit_account_pk.in_(ids), Transfer.credit_account_pk.in_(ids)),
            Transfer.pending.is_(False),
            Transfer.void_pending.is_(False),
        )
        .order_by(Transfer.created_at.desc(), Transfer.id.desc())
        .limit(limit)
    ).all()
    lines = []
    for row in rows:
        credit = row.credit_account_pk in accounts
        account = accounts[row.credit_account_pk if credit else row.debit_account_pk]
        code = None if account.kind == AccountKind.RESERVED.value else row.ledger
        lines.append(
            HistoryLine(
                at=row.created_at,
                municipality_code=code,
                code=row.code,
                amount=row.amount if credit else -row.amount,
                description=_DESCRIPTIONS.get(row.code, row.code)
                + (f"（{row.reference}）" if row.reference and row.code == "grant" else ""),
            )
        )
    return lines


def reserved_points(session: Session, mykey_pk: uuid.UUID) -> int:
    """Support points the holder has not yet assigned (available now)."""
    table = Account.__table__
    total = session.scalar(
        select(
            func.coalesce(
                func.sum(table.c.credits_posted - table.c.debits_posted - table.c.debits_pending), 0
            )
        ).where(Account.mykey_pk == mykey_pk, Account.kind == AccountKind.RESERVED.value)
    )
    return int(total or 0)


def assign_reserved(
    session: Session,
    mykey_pk: uuid.UUID,
    municipality_code: str,
    points: int,
    transfer_id: uuid.UUID,
) -> int:
    """Assign reserved support points to a municipality account; the points assigned."""
    from server.ledger.conversions import assign

    municipality = municipality_by_code(session, municipality_code)
    return assign(session, mykey_pk, municipality, points, transfer_id, utcnow())


def default_municipality(session: Session, mykey_pk: uuid.UUID) -> str | None:
    preference = session.get(HolderPreference, mykey_pk)
    if preference is None or preference.default_municipality_pk is None:
        return None
    return session.get_one(Municipality, preference.default_municipality_pk).code


def set_default_municipality(session: Session, mykey_pk: uuid.UUID, code: str) -> None:
    municipality = municipality_by_code(session, code)
    preference = session.get(HolderPreference, mykey_pk)
    if preference is None:
        session.add(HolderPreference(mykey_pk=mykey_pk, default_municipality_pk=municipality.id))
    else:
        preference.default_municipality_pk = municipality.id
    session.flush()


def municipalities(session: Session) -> list[tuple[str, str]]:
    """Every municipality as (code, name), by code."""
    return [
        (m.code, m.name) for m in session.scalars(select(Municipality).order_by(Municipality.code))
    ]


def require_points(points: int) -> None:
    if points <= 0:
        raise PlatformError(ErrorCode.MALFORMED, "an amount of points is a positive integer")
