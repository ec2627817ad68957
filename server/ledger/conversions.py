"""Regional economy support points: conversion by supporter companies, and assignment.

A supporter company (authenticated by its API key) converts its own points — credit
card points, miles … — into support points credited to the holder's *reserved* account
of that company (the support ledger).  The holder assigns them to a municipality; each
assignment is two transfers in one transaction: reserved → the municipality's clearing
account (support ledger: what the company owes the municipality) and the municipality's
issuance → the holder's account there (its own ledger).  Support points left unassigned
for the default municipality's ``assign_after_days`` move to the default account
(:func:`assign_overdue`, run by the scheduled job).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import Conversion, ConversionRequest, ErrorCode
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, utcnow
from server.errors import OperatorError, PlatformError
from server.identity.mykey import find_mykey
from server.ledger.accounts import (
    holder_account,
    municipality_account,
    reserved_account,
    supporter_account,
)
from server.ledger.expiry import default_municipality_of, unassigned_overdue
from server.ledger.models import Account, AccountKind, Municipality, Supporter, TransferCode
from server.ledger.rules import points_expire_at
from server.ledger.transfers import TransferSpec, create, insufficient, replayed, request_digest
from server.terminals.ratelimit import RateLimits, check_refusals, count_refusal

API_KEY_PREFIX = "mks_"


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def add_supporter(session: Session, code: str, name: str) -> str:
    """Register a supporter company; returns its API key (shown once, only its hash kept)."""
    if session.scalar(select(Supporter).where(Supporter.code == code)) is not None:
        raise OperatorError(f"supporter {code} exists already")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(Supporter(code=code, name=name, api_key_hash=api_key_hash(key)))
    session.flush()
    return key


def supporter_by_key(session: Session, key: str) -> Supporter:
    supporter = session.scalar(select(Supporter).where(Supporter.api_key_hash == api_key_hash(key)))
    if supporter is None or supporter.revoked_at is not None:
        raise PlatformError(ErrorCode.SUPPORTER_KEY_INVALID, "unknown or revoked API key")
    return supporter


def unknown_mykey_id() -> PlatformError:
    """The one answer for a MyKey ID no holder has, malformed or well-formed."""
    return PlatformError(
        ErrorCode.NOT_REGISTERED, "no holder can receive points under this MyKey ID"
    )


def convert(db: Database, api_key: str, request: ConversionRequest) -> Conversion:
    """Credit support points to a holder's reserved account (idempotent on ``id``)."""
    from server.ledger.sessions import parse_id

    transfer_id = parse_id(request.id)

    def work(session: Session) -> Conversion:
        supporter = supporter_by_key(session, api_key)
        digest = request_digest(
            "conversion",
            supporter=supporter.code,
            mykey=request.mykey_id,
            points=request.points,
            reference=request.reference,
        )
        transfer = replayed(session, transfer_id, digest)
        if transfer is None:
            # any text is looked up, well-formed or not: the answer (and its cost) for a
            # mistyped ID is the one for an unknown ID, so neither tells which IDs exist
            mykey = find_mykey(session, request.mykey_id)
            if mykey is None:
                raise unknown_mykey_id()
            now = utcnow()
            transfer = create(
                session,
                TransferSpec(
                    id=transfer_id,
                    debit=supporter_account(session, supporter),
                    credit=reserved_account(session, mykey.id, supporter),
                    amount=request.points,
                    code=TransferCode.CONVERSION,
                    digest=digest,
                    reference=request.reference,
                ),
                now,
            )
        return Conversion(
            id=str(transfer.id),
            points=transfer.amount,
            supporter_code=supporter.code,
            created_at=transfer.created_at,
        )

    return audited(db, work, hooks.conversion(api_key, request), retry_unique=True)


def convert_within_limits(
    db: Database, limits: RateLimits, address: str, api_key: str | None, request: ConversionRequest
) -> Conversion:
    """:func:`convert` behind the refusal limits: a missing or bad API key counts against
    the client's ``address``, an unknown MyKey ID against the key."""
    now = utcnow()
    check_refusals(db, limits.address, address, now)
    key_bucket = api_key_hash(api_key or "")
    check_refusals(db, limits.supporter, key_bucket, now)
    try:
        if api_key is None:
            raise PlatformError(
                ErrorCode.SUPPORTER_KEY_INVALID,
                "send the supporter API key as 'Authorization: Bearer KEY'",
            )
        return convert(db, api_key, request)
    except PlatformError as error:
        if error.code is ErrorCode.SUPPORTER_KEY_INVALID:
            count_refusal(db, limits.address, address, now)
        elif error.code is ErrorCode.NOT_REGISTERED:
            count_refusal(db, limits.supporter, key_bucket, now)
        raise


def _assign_from(
    session: Session,
    reserved: Account,
    municipality: Municipality,
    points: int,
    transfer_id: uuid.UUID,
    code: TransferCode,
    now: dt.datetime,
    part: int,
    request: str | None = None,
) -> None:
    """Move ``points`` of one reserved account to the holder's account at ``municipality``;
    ``request`` is the digest of the holder's request (kept by the transfer ``transfer_id``)."""
    assert reserved.mykey_pk is not None
    supporter = session.get_one(Supporter, reserved.supporter_pk)
    create(
        session,
        TransferSpec(
            id=uuid.uuid5(transfer_id, f"support:{part}"),
            debit=reserved,
            credit=municipality_account(session, municipality, AccountKind.CLEARING),
            amount=points,
            code=code,
            digest=request_digest("assign-support", parent=transfer_id, part=part),
            linked_id=None,
            reference=supporter.code,
        ),
        now,
    )
    create(
        session,
        TransferSpec(
            id=transfer_id if part == 0 else uuid.uuid5(transfer_id, f"points:{part}"),
            debit=municipality_account(session, municipality, AccountKind.ISSUANCE),
            credit=holder_account(session, reserved.mykey_pk, municipality),
            amount=points,
            code=code,
            digest=request
            if part == 0 and request is not None
            else request_digest("assign-points", parent=transfer_id, part=part),
            points_expire_at=points_expire_at(municipality, now),
            reference=supporter.code,
        ),
        now,
    )


def assign(
    session: Session,
    mykey_pk: uuid.UUID,
    municipality: Municipality,
    points: int,
    transfer_id: uuid.UUID,
    now: dt.datetime,
) -> int:
    """Assign ``points`` reserved support points to ``municipality`` (oldest accounts first);
    idempotent on ``transfer_id``.  ``insufficient_points`` when there are fewer."""
    if points <= 0:
        raise PlatformError(ErrorCode.MALFORMED, "an amount of points is a positive integer")
    # the request's content, so that the id reused for another request is a conflict
    digest = request_digest("assign", mykey=mykey_pk, municipality=municipality.code, points=points)
    done = replayed(session, transfer_id, digest)
    if done is not None:
        return points
    accounts = session.scalars(
        select(Account)
        .where(Account.mykey_pk == mykey_pk, Account.kind == AccountKind.RESERVED.value)
        .order_by(Account.created_at, Account.id)
        .with_for_update()
    ).all()
    available = sum(a.available for a in accounts)
    if available < points:
        raise insufficient(available, points)
    left, part = points, 0
    for account in accounts:
        take = min(left, account.available)
        if take <= 0:
            continue
        _assign_from(
            session,
            account,
            municipality,
            take,
            transfer_id,
            TransferCode.ASSIGNMENT,
            now,
            part,
            digest,
        )
        left -= take
        part += 1
        if left == 0:
            break
    return points


def assign_overdue(session: Session, reserved: Account, now: dt.datetime) -> int | None:
    """Move a reserved account's overdue points to the holder's default account; the
    points moved, or ``None`` when points are overdue but the holder has no default."""
    assert reserved.mykey_pk is not None
    municipality = default_municipality_of(session, reserved.mykey_pk)
    if municipality is None:
        return None if unassigned_overdue(session, reserved, now, dt.timedelta(days=90)) else 0
    due = unassigned_overdue(
        session, reserved, now, dt.timedelta(days=municipality.assign_after_days)
    )
    if due == 0:
        return 0
    transfer_id = uuid.uuid5(reserved.id, f"auto-assign:{reserved.debits_posted}:{due}")
    _assign_from(
        session, reserved, municipality, due, transfer_id, TransferCode.AUTO_ASSIGNMENT, now, 0
    )
    return due
