"""Administrative points (行政ポイント): a municipality grants points from its budget.

A grant moves points from the municipality's issuance account to the holder's account
(regular, or a special event's).  A grant above the municipality's
``grant_approval_over`` is held as a pending transfer with a :class:`GrantRequest`
until a *second* staff member approves (posted) or rejects (voided) it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind
from server.api.schemas import (
    ApprovalRequest,
    ErrorCode,
    Grant,
    GrantRequestBody,
    GrantStatus,
    TerminalMode,
)
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, claim_once, utcnow
from server.errors import PlatformError
from server.ledger.accounts import holder_account, municipality_account
from server.ledger.models import (
    Account,
    AccountKind,
    GrantRequest,
    Municipality,
    PointEvent,
    Transfer,
    TransferCode,
)
from server.ledger.rules import event_by_code, points_expire_at
from server.ledger.sessions import parse_id, spend, terminal_municipality
from server.ledger.transfers import TransferSpec, create, pending_state, replayed, request_digest
from server.ledger.transfers import resolve as resolve_pending
from server.terminals.models import Terminal
from server.text import clean, same_person_name

#: a grant awaiting approval is released (voided) if nobody decides within this time
APPROVAL_TIMEOUT = dt.timedelta(days=14)


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
    staff: str,
    event: PointEvent | None,
    now: dt.datetime,
    terminal_pk: uuid.UUID | None = None,
) -> Transfer:
    """Grant (or, above the threshold, hold for approval); idempotent on ``transfer_id``."""
    done = replayed(session, transfer_id, digest)
    if done is not None:
        return done
    staff = clean(staff)  # the CLI's --staff too: stored and compared as the API's
    needs_approval = points > municipality.grant_approval_over
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
            reference=f"{reason}|{staff}",
            terminal_pk=terminal_pk,
        ),
        now,
    )
    if needs_approval:
        session.add(
            GrantRequest(pending_transfer_id=transfer.id, requested_by=staff, requested_at=now)
        )
        session.flush()
    else:
        _notify_granted(session, transfer, municipality)
    return transfer


def grant_at_terminal(db: Database, terminal: Terminal, request: GrantRequestBody) -> Grant:
    """A grant from a staff terminal, for the holder of its points session."""
    transfer_id = parse_id(request.id)
    digest = request_digest(
        "grant",
        terminal=terminal.id,
        session=request.session_id,
        points=request.points,
        reason=request.reason.value,
        event=request.event_code,
        staff=request.staff.strip(),
    )

    def work(session: Session) -> Grant:
        done = replayed(session, transfer_id, digest)
        if done is None:
            now = utcnow()
            municipality = terminal_municipality(session, terminal, TerminalMode.GRANT)
            signed = CardOperation(
                kind=OperationKind.GRANT,
                points=request.points,
                reason=request.reason,
                event_code=request.event_code,
            )
            mykey_pk = spend(session, terminal, request.session_id, now, signed, transfer_id)
            event = (
                event_by_code(session, municipality, request.event_code)
                if request.event_code
                else None
            )
            done = grant_points(
                session,
                transfer_id=transfer_id,
                digest=digest,
                mykey_pk=mykey_pk,
                municipality=municipality,
                points=request.points,
                reason=request.reason.value,
                staff=request.staff.strip(),
                event=event,
                now=now,
                terminal_pk=terminal.id,
            )
        return describe(session, done)

    return audited(db, work, hooks.grant(terminal, request), retry_unique=True)


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


def decide(
    session: Session,
    grant_id: uuid.UUID,
    *,
    staff: str,
    approve: bool,
    decision_id: uuid.UUID,
    now: dt.datetime,
    municipality: Municipality | None = None,
) -> Transfer:
    """Approve (post) or reject (void) a grant awaiting approval, by another staff member."""
    digest = request_digest("decision", grant=grant_id, staff=staff, approve=approve)
    done = replayed(session, decision_id, digest)
    if done is not None:
        return session.get_one(Transfer, done.pending_id)
    request = session.scalar(
        select(GrantRequest).where(GrantRequest.pending_transfer_id == grant_id)
    )
    pending = session.get(Transfer, grant_id)
    if request is None or pending is None or (municipality and pending.ledger != municipality.code):
        raise PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no grant {grant_id} awaiting approval")
    if same_person_name(staff, request.requested_by):
        raise PlatformError(
            ErrorCode.APPROVAL_REFUSED, "the approval must come from another staff member"
        )
    if pending.timeout_at is not None and now >= pending.timeout_at:
        raise PlatformError(
            ErrorCode.PENDING_EXPIRED, "nobody decided in time: the grant was released"
        )
    if not claim_once(session, GrantRequest, GrantRequest.id == request.id, now=now):
        raise PlatformError(ErrorCode.PENDING_RESOLVED, "this grant was already decided")
    request.decided_by = clean(staff)
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


def decide_at_terminal(
    db: Database, terminal: Terminal, grant_id: str, request: ApprovalRequest
) -> Grant:
    key = parse_id(grant_id, "grant id")
    decision_id = parse_id(request.id)

    def work(session: Session) -> Grant:
        municipality = terminal_municipality(session, terminal, TerminalMode.GRANT)
        pending = decide(
            session,
            key,
            staff=request.staff,
            approve=request.approve,
            decision_id=decision_id,
            now=utcnow(),
            municipality=municipality,
        )
        return describe(session, pending)

    spec = hooks.grant_decision(terminal, grant_id, request)
    return audited(db, work, spec, retry_unique=True)
