"""Daily grant sums (Japan-time day) per holder and per terminal: the caps a municipality
sets, and the approval threshold applied to the day's sum so split grants are caught."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.ledger.models import Account, Municipality, Transfer, TransferCode
from server.ledger.settlement import JST, window
from server.terminals.models import Terminal


def _granted_today(
    session: Session,
    municipality: Municipality,
    where: ColumnElement[bool],
    now: dt.datetime,
) -> int:
    """Points granted today (granted or awaiting approval; rejected ones not) where ``where``."""
    start, end = window(now.astimezone(JST).date(), now.astimezone(JST).date())
    voided = aliased(Transfer)
    rejected = (
        select(voided.id)
        .where(voided.pending_id == Transfer.id, voided.void_pending.is_(True))
        .exists()
    )
    total = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.ledger == municipality.code,
            Transfer.code == TransferCode.GRANT.value,
            Transfer.pending_id.is_(None),
            Transfer.created_at >= start,
            Transfer.created_at < end,
            ~rejected,
            where,
        )
    )
    return int(total or 0)


def holder_today(
    session: Session, municipality: Municipality, mykey_pk: uuid.UUID, now: dt.datetime
) -> int:
    accounts = select(Account.id).where(
        Account.mykey_pk == mykey_pk, Account.municipality_pk == municipality.id
    )
    return _granted_today(session, municipality, Transfer.credit_account_pk.in_(accounts), now)


def terminal_today(
    session: Session, municipality: Municipality, terminal_pk: uuid.UUID, now: dt.datetime
) -> int:
    return _granted_today(session, municipality, Transfer.terminal_pk == terminal_pk, now)


def check_daily(
    session: Session,
    municipality: Municipality,
    *,
    mykey_pk: uuid.UUID,
    terminal_pk: uuid.UUID | None,
    points: int,
    now: dt.datetime,
) -> bool:
    """Refuse a grant over a daily cap (``grant_cap_exceeded``); whether it needs approval:
    above ``grant_approval_over`` by itself or summed with the holder's grants of today.

    The holder's (and the terminal's) row is locked first, so two grants at once are
    summed one after the other."""
    session.scalars(
        select(Account.id)
        .where(Account.mykey_pk == mykey_pk, Account.municipality_pk == municipality.id)
        .with_for_update()
    ).all()
    if terminal_pk is not None:
        session.scalar(select(Terminal.id).where(Terminal.id == terminal_pk).with_for_update())
    holder = holder_today(session, municipality, mykey_pk, now)
    cap = municipality.grant_cap_holder_day
    if cap is not None and holder + points > cap:
        raise PlatformError(
            ErrorCode.GRANT_CAP_EXCEEDED,
            f"over the daily cap per holder ({cap} pt; {holder} pt granted today)",
        )
    cap = municipality.grant_cap_terminal_day
    if cap is not None and terminal_pk is not None:
        at_terminal = terminal_today(session, municipality, terminal_pk, now)
        if at_terminal + points > cap:
            raise PlatformError(
                ErrorCode.GRANT_CAP_EXCEEDED,
                f"over the daily cap per terminal ({cap} pt; {at_terminal} pt granted today)",
            )
    return holder + points > municipality.grant_approval_over
