"""Grants and approvals at a staff terminal, by staff account.

The staff login and code in the request are checked first (argon2 or TOTP, outside the
ledger's transaction: :func:`server.staff.service.authenticate`); the ledger's transaction
then confirms the account (enabled, same credential, a TOTP step spent once), checks it
works for the terminal's municipality, and grants or decides.  The exact replay of a
request already done (same id, same content, same terminal) answers as before without a
second check, so a counter that lost the answer can ask again with a spent TOTP code.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind
from server.api.schemas import (
    ApprovalRequest,
    ErrorCode,
    Grant,
    GrantRequestBody,
    TerminalMode,
)
from server.audit import hooks
from server.audit.log import AuditSpec, audited, record_refusal
from server.db import Database, utcnow
from server.errors import PlatformError
from server.ledger.grants import Actor, decide, decision_digest, describe, grant_points
from server.ledger.models import Municipality, Transfer
from server.ledger.rules import event_by_code, municipality_by_code
from server.ledger.sessions import parse_id, spend, terminal_municipality
from server.ledger.transfers import replayed, request_digest
from server.staff import service as staff
from server.terminals.models import Terminal


def _verified(
    db: Database, login: str, code: str, spec: AuditSpec
) -> staff.Verified:
    try:
        return staff.authenticate(db, login, code, utcnow())
    except PlatformError as error:
        record_refusal(db, spec, error)
        raise


def _actor(
    session: Session, verified: staff.Verified, terminal: Terminal, municipality: Municipality
) -> Actor:
    account = staff.confirm(session, verified, utcnow())
    if account.municipality_pk != municipality.id:
        raise PlatformError(
            ErrorCode.STAFF_WRONG_MUNICIPALITY,
            "this staff account works for another municipality than this terminal's",
        )
    return Actor(account.login, account.id, terminal.id)


def _done(db: Database, transfer_id: uuid.UUID, digest: str) -> Transfer | None:
    return db.transaction(lambda session: replayed(session, transfer_id, digest))


def grant_at_terminal(db: Database, terminal: Terminal, request: GrantRequestBody) -> Grant:
    """A grant from a staff terminal, by a staff account, for its card session's holder."""
    transfer_id = parse_id(request.id)
    digest = request_digest(
        "grant",
        terminal=terminal.id,
        session=request.session_id,
        points=request.points,
        reason=request.reason.value,
        event=request.event_code,
        staff=request.staff_login,
    )
    if _done(db, transfer_id, digest) is not None:
        return db.transaction(
            lambda session: describe(session, session.get_one(Transfer, transfer_id))
        )
    verified = _verified(
        db, request.staff_login, request.staff_code, hooks.grant(terminal, request)
    )

    def work(session: Session) -> Grant:
        done = replayed(session, transfer_id, digest)
        if done is None:
            now = utcnow()
            municipality = terminal_municipality(session, terminal, TerminalMode.GRANT)
            by = _actor(session, verified, terminal, municipality)
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
                by=by,
                event=event,
                now=now,
            )
        return describe(session, done)

    spec = hooks.grant(terminal, request, str(verified.staff_pk))
    return audited(db, work, spec, retry_unique=True)


def decide_at_terminal(
    db: Database, terminal: Terminal, grant_id: str, request: ApprovalRequest
) -> Grant:
    """Approve or reject a grant: by another staff account, at another terminal."""
    key = parse_id(grant_id, "grant id")
    decision_id = parse_id(request.id)
    claimed = Actor(request.staff_login, terminal_pk=terminal.id)
    done = _done(db, decision_id, decision_digest(key, claimed, request.approve))
    if done is not None and done.pending_id is not None:
        pending_id = done.pending_id
        return db.transaction(
            lambda session: describe(session, session.get_one(Transfer, pending_id))
        )
    verified = _verified(
        db,
        request.staff_login,
        request.staff_code,
        hooks.grant_decision(terminal, grant_id, request),
    )

    def work(session: Session) -> Grant:
        municipality = terminal_municipality(session, terminal, TerminalMode.GRANT)
        by = _actor(session, verified, terminal, municipality)
        pending = decide(
            session,
            key,
            by=by,
            approve=request.approve,
            decision_id=decision_id,
            now=utcnow(),
            municipality=municipality,
        )
        return describe(session, pending)

    spec = hooks.grant_decision(terminal, grant_id, request, str(verified.staff_pk))
    return audited(db, work, spec, retry_unique=True)


def console_actor(db: Database, login: str, code: str, municipality_code: str) -> Actor:
    """A staff account at the operator's console (``grant give|approve|reject|import
    --staff``): its credential checked and confirmed, for ``municipality_code``."""
    verified = staff.authenticate(db, login, code, utcnow())

    def work(session: Session) -> Actor:
        municipality = municipality_by_code(session, municipality_code)
        account = staff.confirm(session, verified, utcnow())
        if account.municipality_pk != municipality.id:
            raise PlatformError(
                ErrorCode.STAFF_WRONG_MUNICIPALITY,
                f"staff account {login} works for another municipality than {municipality_code}",
            )
        return Actor(account.login, account.id)

    return db.transaction(work)
