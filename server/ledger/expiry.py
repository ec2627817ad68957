"""Due maintenance of accounts: timed-out holds, expired points, unassigned support points.

Expiry rule: every credit to a holder's account carries the date its points expire, and
the points that expire soonest are spent first.  So the points of an account that have
expired by ``now`` and are still there are ``max(0, C − D)``, where ``C`` is the sum of
its posted credits that expired by ``now`` and ``D`` every debit so far (posted and held,
earlier expiries included).  The same arithmetic moves support points a holder left
unassigned for the set period (:func:`assign_overdue`).

:func:`settle_account` runs before any debit of a holder account (see
:mod:`server.ledger.transfers`); :func:`run_due` is the scheduled job that does the same
for every account, plus vouchers past their date.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import Database, new_id
from server.ledger.models import (
    Account,
    AccountKind,
    HolderPreference,
    Municipality,
    OpenPending,
    Transfer,
    TransferCode,
)

log = logging.getLogger(__name__)


def _posted_credits(session: Session, account: Account, expiring_by: dt.datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.credit_account_pk == account.id,
            Transfer.pending.is_(False),
            Transfer.void_pending.is_(False),
            Transfer.points_expire_at <= expiring_by,
        )
    )
    return int(total or 0)


def _posted_credits_before(session: Session, account: Account, before: dt.datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.credit_account_pk == account.id,
            Transfer.pending.is_(False),
            Transfer.void_pending.is_(False),
            Transfer.created_at <= before,
        )
    )
    return int(total or 0)


def expired_due(session: Session, account: Account, now: dt.datetime) -> int:
    """Points of the account that expired by ``now`` and are still in it."""
    session.refresh(account)
    spent = account.debits_posted + account.debits_pending
    return max(0, _posted_credits(session, account, now) - spent)


def void_timed_out(session: Session, account: Account, now: dt.datetime) -> int:
    """Void the account's pending debits past their timeout; how many."""
    from server.ledger.transfers import expire_pending

    ids = session.scalars(
        select(OpenPending.transfer_id).where(
            OpenPending.debit_account_pk == account.id, OpenPending.timeout_at <= now
        )
    ).all()
    voided = 0
    for transfer_id in ids:
        if expire_pending(session, session.get_one(Transfer, transfer_id), now) is not None:
            voided += 1
    return voided


def expire_points(session: Session, account: Account, now: dt.datetime) -> Transfer | None:
    """Move the account's expired points to its municipality's expired account."""
    from server.ledger.accounts import municipality_account
    from server.ledger.transfers import TransferSpec, create, request_digest

    if account.kind not in {AccountKind.HOLDER.value, AccountKind.EVENT.value}:
        return None
    due = expired_due(session, account, now)
    if due == 0:
        return None
    municipality = session.get_one(Municipality, account.municipality_pk)
    transfer_id = new_id()
    transfer = create(
        session,
        TransferSpec(
            id=transfer_id,
            debit=account,
            credit=municipality_account(session, municipality, AccountKind.EXPIRED),
            amount=due,
            code=TransferCode.EXPIRY,
            digest=request_digest("expiry", id=transfer_id),
        ),
        now,
        maintain=False,
    )
    if account.mykey_pk is not None:
        _notify_expired(session, account.mykey_pk, municipality, due)
    return transfer


def _notify_expired(
    session: Session, mykey_pk: uuid.UUID, municipality: Municipality, points: int
) -> None:
    try:
        from server.notices import NoticeKind, enqueue_notice
    except ImportError:  # the portal's notices are optional to the ledger
        return
    enqueue_notice(
        session,
        mykey_pk,
        NoticeKind.POINTS_EXPIRED,
        {"municipality": municipality.name, "points": points},
    )


def settle_account(session: Session, account: Account, now: dt.datetime) -> None:
    """Due maintenance of one account, before it is debited."""
    void_timed_out(session, account, now)
    expire_points(session, account, now)


def unassigned_overdue(
    session: Session, account: Account, now: dt.datetime, age: dt.timedelta
) -> int:
    """Support points of a reserved account converted longer than ``age`` ago and not yet
    assigned (oldest first)."""
    session.refresh(account)
    spent = account.debits_posted + account.debits_pending
    return max(0, _posted_credits_before(session, account, now - age) - spent)


@dataclass
class DueReport:
    """What one run of the scheduled job did."""

    holds_voided: int = 0
    accounts_expired: int = 0
    points_expired: int = 0
    vouchers_expired: int = 0
    points_auto_assigned: int = 0
    holders_without_default: int = 0


def run_due(db: Database, now: dt.datetime) -> DueReport:
    """The scheduled job: void timed-out holds, expire points and vouchers, and move
    unassigned support points to each holder's default account.  One transaction per
    account, so a long run never holds locks for long and a crash loses nothing."""
    from server.ledger.conversions import assign_overdue
    from server.ledger.vouchers import expire_vouchers

    report = DueReport()
    timed_out = db.transaction(
        lambda s: list(
            s.scalars(
                select(OpenPending.debit_account_pk).where(OpenPending.timeout_at <= now).distinct()
            )
        )
    )
    for account_id in timed_out:
        report.holds_voided += db.transaction(partial(_void_timed_out, account_id, now))
    expiring = db.transaction(
        lambda s: list(
            s.scalars(
                select(Transfer.credit_account_pk)
                .where(Transfer.points_expire_at <= now)
                .distinct()
            )
        )
    )
    for account_id in expiring:
        moved = db.transaction(partial(_expire_points, account_id, now))
        if moved:
            report.accounts_expired += 1
            report.points_expired += moved
    report.vouchers_expired = expire_vouchers(db, now)
    reserved = db.transaction(
        lambda s: list(
            s.scalars(select(Account.id).where(Account.kind == AccountKind.RESERVED.value))
        )
    )
    for account_id in reserved:
        outcome = db.transaction(partial(_assign_overdue, assign_overdue, account_id, now))
        if outcome is None:
            report.holders_without_default += 1
        else:
            report.points_auto_assigned += outcome
    log.info("ledger maintenance: %s", report)
    return report


def _void_timed_out(account_id: uuid.UUID, now: dt.datetime, session: Session) -> int:
    return void_timed_out(session, session.get_one(Account, account_id), now)


def _expire_points(account_id: uuid.UUID, now: dt.datetime, session: Session) -> int:
    transfer = expire_points(session, session.get_one(Account, account_id), now)
    return 0 if transfer is None else transfer.amount


def _assign_overdue(
    job: Callable[[Session, Account, dt.datetime], int | None],
    account_id: uuid.UUID,
    now: dt.datetime,
    session: Session,
) -> int | None:
    return job(session, session.get_one(Account, account_id), now)


def default_municipality_of(session: Session, mykey_pk: uuid.UUID) -> Municipality | None:
    preference = session.get(HolderPreference, mykey_pk)
    if preference is None or preference.default_municipality_pk is None:
        return None
    return session.get(Municipality, preference.default_municipality_pk)
