"""The transfer engine: create, post and void transfers, idempotently, never overdrawing.

Every function here runs inside the caller's transaction (``Database.transaction``) and
never commits.  The rules (TigerBeetle's):

- A transfer's id is chosen by the client.  Creating it again with the same request
  (same :attr:`TransferSpec.digest`) returns the first result; with another request it
  is refused with ``transfer_id_conflict`` (409).  Two concurrent creations of one id
  both run, and the second fails on the primary key: the caller runs the transaction
  again (``Database.transaction(work, retry_unique=True)``), which then finds the first.
- Balances change with one conditional ``UPDATE`` per account, so concurrent debits of
  one holder account serialise on its row and can never overdraw it (and the table's
  CHECK constraint would refuse if they could).
- Before a holder account is debited, its due maintenance runs: pending debits past their
  timeout are voided, and points past their validity are moved to the expired account
  (:mod:`server.ledger.expiry`), so nobody can spend what has already expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.ledger.models import Account, OpenPending, Transfer


def request_digest(operation: str, **fields: object) -> str:
    """SHA-256 over an operation's name and request fields (canonical JSON)."""
    text = json.dumps({"op": operation, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TransferSpec:
    """A transfer to create (a single-phase or pending one)."""

    id: uuid.UUID
    debit: Account
    credit: Account
    amount: int
    code: str
    digest: str
    pending_timeout: dt.timedelta | None = None
    points_expire_at: dt.datetime | None = None
    linked_id: uuid.UUID | None = None
    reference: str | None = None
    terminal_pk: uuid.UUID | None = None
    extra: dict[str, object] = field(default_factory=dict)


def replayed(session: Session, transfer_id: uuid.UUID, digest: str) -> Transfer | None:
    """The transfer already created with this id and request, or ``None`` if there is none;
    ``transfer_id_conflict`` if the id was used for another request."""
    existing = session.get(Transfer, transfer_id)
    if existing is None:
        return None
    if existing.digest != digest:
        raise PlatformError(
            ErrorCode.TRANSFER_ID_CONFLICT,
            f"transfer id {transfer_id} was already used for a different request",
        )
    return existing


def insufficient(available: int, amount: int) -> PlatformError:
    return PlatformError(
        ErrorCode.INSUFFICIENT_POINTS,
        f"not enough points: {available} available, {amount} asked",
    )


def _move(
    session: Session,
    account: Account,
    deltas: dict[str, int],
    *,
    guard_available: int | None = None,
) -> bool:
    """Add ``deltas`` (column → amount) to the account's sums in one UPDATE; with
    ``guard_available``, only if the account's available points are at least that much
    (``False`` if not).

    Only the changed columns are expired on ``account``: its id, key and owners stay
    loaded, so later uses of the object cost no SELECT (a shop's account row is locked
    by this UPDATE until commit, and every statement after it lengthens that lock).
    """
    table = Account.__table__
    statement = update(Account).where(Account.id == account.id)
    if guard_available is not None:
        statement = statement.where(
            table.c.credits_posted - table.c.debits_posted - table.c.debits_pending
            >= guard_available
        )
    result = session.execute(
        statement.values(
            {column: table.c[column] + delta for column, delta in deltas.items()}
        ).execution_options(synchronize_session=False)
    )
    session.expire(account, list(deltas))
    return isinstance(result, CursorResult) and result.rowcount == 1


def create(
    session: Session,
    spec: TransferSpec,
    now: dt.datetime,
    *,
    maintain: bool = True,
    new: bool = False,
) -> Transfer:
    """Create the transfer (or return the one created before with this id and request).

    ``maintain=False`` skips the debit account's due maintenance (for maintenance itself).
    ``new=True``: the caller has just found no transfer with this id (:func:`replayed`) in
    this transaction, so it is not looked for again — one created concurrently since then
    makes this one fail on the primary key, and the caller's transaction runs again.
    """
    if spec.amount <= 0:
        raise PlatformError(ErrorCode.MALFORMED, "an amount of points is a positive integer")
    existing = None if new else replayed(session, spec.id, spec.digest)
    if existing is not None:
        return existing
    if spec.debit.ledger != spec.credit.ledger or spec.debit.id == spec.credit.id:
        raise AssertionError("a transfer needs two accounts of one ledger")
    pending = spec.pending_timeout is not None
    debit_column = "debits_pending" if pending else "debits_posted"
    credit_column = "credits_pending" if pending else "credits_posted"
    if spec.debit.no_overdraft:
        # imported here: expiry builds transfers with this module
        from server.ledger.expiry import settle_account

        if maintain:
            settle_account(session, spec.debit, now)
        if not _move(session, spec.debit, {debit_column: spec.amount}, guard_available=spec.amount):
            session.refresh(spec.debit)
            raise insufficient(spec.debit.available, spec.amount)
    transfer = Transfer(
        id=spec.id,
        digest=spec.digest,
        ledger=spec.debit.ledger,
        code=spec.code,
        debit_account_pk=spec.debit.id,
        credit_account_pk=spec.credit.id,
        amount=spec.amount,
        pending=pending,
        timeout_at=now + spec.pending_timeout if spec.pending_timeout else None,
        points_expire_at=spec.points_expire_at,
        linked_id=spec.linked_id,
        reference=spec.reference,
        terminal_pk=spec.terminal_pk,
        created_at=now,
    )
    session.add(transfer)
    session.flush()  # before its OpenPending row (no relationship orders them)
    if transfer.timeout_at is not None:
        session.add(
            OpenPending(
                transfer_id=spec.id,
                debit_account_pk=spec.debit.id,
                timeout_at=transfer.timeout_at,
            )
        )
    session.flush()
    moves = [(spec.credit, {credit_column: spec.amount})]
    if not spec.debit.no_overdraft:
        moves.insert(0, (spec.debit, {debit_column: spec.amount}))
    _move_last(session, moves)
    return transfer


def _move_last(session: Session, moves: list[tuple[Account, dict[str, int]]]) -> None:
    """The UPDATEs of a transfer's sums, once its rows are written: holders' accounts
    first, then the accounts shared by many holders' transfers (a shop's, an issuance
    account …).  An UPDATE locks its row until commit: a shared row is locked as late,
    and so for as few statements, as possible (concurrent payments at one shop queue on
    its row), and always after the holder's, so that transactions lock in one order."""
    for account, deltas in sorted(moves, key=lambda move: not move[0].no_overdraft):
        _move(session, account, deltas)


def resolve(
    session: Session,
    pending: Transfer,
    *,
    post: bool,
    transfer_id: uuid.UUID,
    digest: str,
    now: dt.datetime,
    terminal_pk: uuid.UUID | None = None,
) -> Transfer:
    """Post or void a pending transfer, once; idempotent on ``transfer_id``.

    ``pending_expired`` when it timed out (it is voided then), ``pending_resolved`` when
    another transfer already posted or voided it.
    """
    existing = replayed(session, transfer_id, digest)
    if existing is not None:
        return existing
    if not pending.pending:
        raise PlatformError(ErrorCode.MALFORMED, f"transfer {pending.id} is not pending")
    if post and pending.timeout_at is not None and now >= pending.timeout_at:
        expire_pending(session, pending, now)
        raise PlatformError(
            ErrorCode.PENDING_EXPIRED, "the hold timed out and was released: start again"
        )
    claimed = session.execute(
        delete(OpenPending)
        .where(OpenPending.transfer_id == pending.id)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(claimed, CursorResult) and claimed.rowcount == 1):
        raise PlatformError(
            ErrorCode.PENDING_RESOLVED, "the hold was already completed or cancelled"
        )
    return _resolution(session, pending, post, transfer_id, digest, now, terminal_pk)


def _resolution(
    session: Session,
    pending: Transfer,
    post: bool,
    transfer_id: uuid.UUID,
    digest: str,
    now: dt.datetime,
    terminal_pk: uuid.UUID | None,
) -> Transfer:
    debit = session.get_one(Account, pending.debit_account_pk)
    credit = session.get_one(Account, pending.credit_account_pk)
    debit_deltas = {"debits_pending": -pending.amount}
    credit_deltas = {"credits_pending": -pending.amount}
    if post:
        debit_deltas["debits_posted"] = pending.amount
        credit_deltas["credits_posted"] = pending.amount
    transfer = Transfer(
        id=transfer_id,
        digest=digest,
        ledger=pending.ledger,
        code=pending.code,
        debit_account_pk=pending.debit_account_pk,
        credit_account_pk=pending.credit_account_pk,
        amount=pending.amount,
        post_pending=post,
        void_pending=not post,
        pending_id=pending.id,
        points_expire_at=pending.points_expire_at,
        linked_id=pending.linked_id,
        reference=pending.reference,
        terminal_pk=terminal_pk,
        created_at=now,
    )
    session.add(transfer)
    session.flush()
    _move_last(session, [(debit, debit_deltas), (credit, credit_deltas)])
    return transfer


def timeout_void_id(pending_id: uuid.UUID) -> uuid.UUID:
    """The id of the void the platform itself creates when a pending transfer times out."""
    return uuid.uuid5(pending_id, "timeout-void")


def expire_pending(session: Session, pending: Transfer, now: dt.datetime) -> Transfer | None:
    """Void a timed-out pending transfer (``None`` when it was already resolved)."""
    claimed = session.execute(
        delete(OpenPending)
        .where(OpenPending.transfer_id == pending.id)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(claimed, CursorResult) and claimed.rowcount == 1):
        return None
    void_id = timeout_void_id(pending.id)
    return _resolution(
        session, pending, False, void_id, request_digest("timeout", pending=pending.id), now, None
    )


def pending_state(session: Session, pending: Transfer) -> str:
    """``open``, ``posted`` or ``voided``."""
    from sqlalchemy import select

    resolution = session.scalar(select(Transfer).where(Transfer.pending_id == pending.id))
    if resolution is None:
        return "open"
    return "posted" if resolution.post_pending else "voided"
