"""Administrative points (行政ポイント): a municipality grants points from its budget.

A grant moves points from the municipality's issuance account to the holder's account
(regular, or a special event's).  A grant above the municipality's
``grant_approval_over`` is held as a pending transfer with a :class:`GrantRequest`
until a *second* staff account approves (posted) or rejects (voided) it, at another
terminal; so does a grant that, summed with the holder's grants of the day, passes it.
Who grants or decides is an :class:`Actor`: a staff account whose credential the caller
checked, or the operator at the console, recorded as such.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import (
    ErrorCode,
    Grant,
    GrantStatus,
)
from server.db import claim_once
from server.errors import PlatformError
from server.ledger.accounts import holder_account, municipality_account
from server.ledger.caps import check_daily
from server.ledger.models import (
    Account,
    AccountKind,
    GrantRequest,
    Municipality,
    PointEvent,
    Transfer,
    TransferCode,
)
from server.ledger.rules import points_expire_at
from server.ledger.transfers import TransferSpec, create, pending_state, replayed, request_digest
from server.ledger.transfers import resolve as resolve_pending
from server.text import clean

#: a grant awaiting approval is released (voided) if nobody decides within this time
APPROVAL_TIMEOUT = dt.timedelta(days=14)


@dataclass(frozen=True)
class Actor:
    """Who grants or decides: a staff account (its credential checked by the caller, at a
    terminal or at the console), or the operator, recorded as ``operator``."""

    #: the staff login, or ``operator`` (with what the operator said, e.g. ``operator:csv``)
    label: str
    staff_pk: uuid.UUID | None = None
    terminal_pk: uuid.UUID | None = None

    @classmethod
    def operator(cls, note: str = "") -> Actor:
        note = clean(note)[:100]
        return cls(f"operator:{note}" if note else "operator")

    def same_as(self, other_label: str, other_staff_pk: uuid.UUID | None) -> bool:
        """Whether this is the requester: the same account, or the operator both times."""
        if self.staff_pk is not None or other_staff_pk is not None:
            return self.staff_pk == other_staff_pk
        return True


def _notify_granted(session: Session, transfer: Transfer, municipality: Municipality) -> None:
    account = session.get_one(Account, transfer.credit_account_pk)
    if account.mykey_pk is None:
        return
    try:
        from server.notices import NoticeKind, enqueue_notice
    except ImportError:
        return
    enqueue_notice(
        session,
        account.mykey_pk,
        NoticeKind.POINTS_GRANTED,
        {
            "municipality": municipality.name,
            "points": transfer.amount,
            "reason": transfer.reference or "",
        },
    )


def _id(pk: uuid.UUID | None) -> str | None:
    return str(pk) if pk is not None else None


def describe(session: Session, transfer: Transfer) -> Grant:
    """The grant made by ``transfer`` (the single-phase grant or the held one)."""
    holder = session.get_one(Account, transfer.credit_account_pk)
    event = session.get(PointEvent, holder.event_pk) if holder.event_pk else None
    request = session.scalar(
        select(GrantRequest).where(GrantRequest.pending_transfer_id == transfer.id)
    )
    status = GrantStatus.GRANTED
    if transfer.pending:
        status = {
            "open": GrantStatus.AWAITING_APPROVAL,
            "posted": GrantStatus.GRANTED,
        }.get(pending_state(session, transfer), GrantStatus.REJECTED)
        if status is GrantStatus.REJECTED and request is not None and request.used_at is None:
            status = GrantStatus.EXPIRED
    reason, _, staff = (transfer.reference or "").partition("|")
    return Grant(
        id=str(transfer.id),
        status=status,
        points=transfer.amount,
        municipality_code=transfer.ledger,
        reason=reason,
        event_code=event.code if event else None,
        requested_by=request.requested_by if request else staff,
        decided_by=request.decided_by if request else None,
        requested_by_staff_id=_id(request.requested_by_staff_pk if request else None),
        decided_by_staff_id=_id(request.decided_by_staff_pk if request else None),
        created_at=transfer.created_at,
    )


def grant_points(
    session: Session,
    *,
    transfer_id: uuid.UUID,
    digest: str,
    mykey_pk: uuid.UUID,
    municipality: Municipality,
    points: int,
    reason: str,
    by: Actor,
    event: PointEvent | None,
    now: dt.datetime,
) -> Transfer:
    """Grant (or hold for approval: above the threshold, alone or with the holder's grants
    of the day); refused over a daily cap; idempotent on ``transfer_id``."""
    done = replayed(session, transfer_id, digest)
    if done is not None:
        return done
    needs_approval = check_daily(
        session,
        municipality,
        mykey_pk=mykey_pk,
        terminal_pk=by.terminal_pk,
        points=points,
        now=now,
    )
    transfer = create(
        session,
        TransferSpec(
            id=transfer_id,
            debit=municipality_account(session, municipality, AccountKind.ISSUANCE),
            credit=holder_account(session, mykey_pk, municipality, event),
            amount=points,
            code=TransferCode.GRANT,
            digest=digest,
            pending_timeout=APPROVAL_TIMEOUT if needs_approval else None,
            points_expire_at=points_expire_at(municipality, now),
            reference=f"{reason}|{by.label}",
            terminal_pk=by.terminal_pk,
        ),
        now,
    )
    if needs_approval:
        session.add(
            GrantRequest(
                pending_transfer_id=transfer.id,
                requested_by=by.label,
                requested_by_staff_pk=by.staff_pk,
                requested_at=now,
            )
        )
        session.flush()
    else:
        _notify_granted(session, transfer, municipality)
    return transfer


def awaiting(session: Session, municipality: Municipality) -> list[Grant]:
    """Grants of the municipality awaiting a second staff member, oldest first."""
    rows = session.scalars(
        select(Transfer)
        .join(GrantRequest, GrantRequest.pending_transfer_id == Transfer.id)
        .where(GrantRequest.used_at.is_(None), Transfer.ledger == municipality.code)
        .order_by(Transfer.created_at)
    ).all()
    return [
        g
        for g in (describe(session, row) for row in rows)
        if g.status is GrantStatus.AWAITING_APPROVAL
    ]


def ledger_of(session: Session, grant_id: uuid.UUID) -> str:
    """The municipality code of a grant (``ledger_not_found`` for an unknown one)."""
    found = session.get(Transfer, grant_id)
    if found is None:
        raise PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no grant {grant_id}")
    return found.ledger


def decision_digest(grant_id: uuid.UUID, by: Actor, approve: bool) -> str:
    return request_digest(
        "decision", grant=grant_id, staff=by.label, terminal=by.terminal_pk, approve=approve
    )


def decide(
    session: Session,
    grant_id: uuid.UUID,
    *,
    by: Actor,
    approve: bool,
    decision_id: uuid.UUID,
    now: dt.datetime,
    municipality: Municipality | None = None,
) -> Transfer:
    """Approve (post) or reject (void) a grant awaiting approval: by another staff account
    than its requester's, at another terminal than the grant's."""
    digest = decision_digest(grant_id, by, approve)
    done = replayed(session, decision_id, digest)
    if done is not None:
        return session.get_one(Transfer, done.pending_id)
    request = session.scalar(
        select(GrantRequest).where(GrantRequest.pending_transfer_id == grant_id)
    )
    pending = session.get(Transfer, grant_id)
    if request is None or pending is None or (municipality and pending.ledger != municipality.code):
        raise PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no grant {grant_id} awaiting approval")
    if by.same_as(request.requested_by, request.requested_by_staff_pk):
        raise PlatformError(
            ErrorCode.APPROVAL_SAME_STAFF,
            "the approval must come from another staff account than the grant's",
        )
    if by.terminal_pk is not None and by.terminal_pk == pending.terminal_pk:
        raise PlatformError(
            ErrorCode.APPROVAL_SAME_TERMINAL,
            "the approval must come from another terminal than the grant's",
        )
    if pending.timeout_at is not None and now >= pending.timeout_at:
        raise PlatformError(
            ErrorCode.PENDING_EXPIRED, "nobody decided in time: the grant was released"
        )
    if not claim_once(session, GrantRequest, GrantRequest.id == request.id, now=now):
        raise PlatformError(ErrorCode.PENDING_RESOLVED, "this grant was already decided")
    request.decided_by = by.label
    request.decided_by_staff_pk = by.staff_pk
    request.approved = approve
    resolve_pending(session, pending, post=approve, transfer_id=decision_id, digest=digest, now=now)
    if approve:
        _notify_granted(
            session,
            pending,
            session.get_one(
                Municipality, session.get_one(Account, pending.credit_account_pk).municipality_pk
            ),
        )
    return pending
