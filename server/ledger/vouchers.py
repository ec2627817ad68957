"""Point vouchers (ポイント券): dated, printed with a QR code, redeemed once at a shop.

Issuing moves points from the holder's account to the municipality's vouchers account;
redeeming moves them on to the shop's account; a voucher past its date moves them to
the expired account (:func:`expire_vouchers`).  The voucher's secret code is chosen by
the issuing terminal (kept in its outbox until printed); the platform keeps only its
SHA-256, so nobody reading the database can redeem a voucher.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind
from server.api.schemas import (
    ErrorCode,
    RedeemRequest,
    Redemption,
    TerminalMode,
    VoucherInfo,
    VoucherRequest,
)
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, claim_once, new_id, utcnow
from server.errors import PlatformError
from server.ledger.accounts import holder_account, municipality_account, shop_account
from server.ledger.models import AccountKind, Municipality, Transfer, TransferCode, Voucher
from server.ledger.rules import require_usable
from server.ledger.sessions import parse_id, spend, terminal_municipality, terminal_shop
from server.ledger.transfers import TransferSpec, create, replayed, request_digest
from server.terminals.models import Terminal


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _number() -> str:
    """A 12-digit number printed on the voucher for people (not a secret)."""
    return f"{secrets.randbelow(10**12):012d}"


def _info(session: Session, voucher: Voucher) -> VoucherInfo:
    municipality = session.get_one(Municipality, voucher.municipality_pk)
    return VoucherInfo(
        number=voucher.number,
        amount=voucher.amount,
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        valid_until=voucher.valid_until,
    )


def issue(db: Database, terminal: Terminal, request: VoucherRequest) -> VoucherInfo:
    """Turn the holder's points into a voucher (idempotent on ``request.id``)."""
    transfer_id = parse_id(request.id)
    hashed = code_hash(request.code)
    digest = request_digest(
        "voucher",
        terminal=terminal.id,
        session=request.session_id,
        points=request.points,
        code=hashed,
    )

    def work(session: Session) -> VoucherInfo:
        done = replayed(session, transfer_id, digest)
        if done is None:
            now = utcnow()
            municipality = terminal_municipality(session, terminal, TerminalMode.VOUCHER)
            signed = CardOperation(kind=OperationKind.VOUCHER, points=request.points)
            mykey_pk = spend(session, terminal, request.session_id, now, signed, transfer_id)
            if session.scalar(select(Voucher.id).where(Voucher.code_hash == hashed)) is not None:
                raise PlatformError(ErrorCode.MALFORMED, "this voucher code is taken: make another")
            done = create(
                session,
                TransferSpec(
                    id=transfer_id,
                    debit=holder_account(session, mykey_pk, municipality),
                    credit=municipality_account(session, municipality, AccountKind.VOUCHERS),
                    amount=request.points,
                    code=TransferCode.VOUCHER_ISSUE,
                    digest=digest,
                    terminal_pk=terminal.id,
                ),
                now,
            )
            session.add(
                Voucher(
                    code_hash=hashed,
                    number=_number(),
                    municipality_pk=municipality.id,
                    amount=request.points,
                    issue_transfer_id=done.id,
                    issued_at=now,
                    valid_until=now + dt.timedelta(days=municipality.voucher_valid_days),
                )
            )
            session.flush()
        voucher = session.scalars(select(Voucher).where(Voucher.issue_transfer_id == done.id)).one()
        return _info(session, voucher)

    return audited(db, work, hooks.voucher_issue(terminal, request), retry_unique=True)


def redeem(db: Database, terminal: Terminal, request: RedeemRequest) -> Redemption:
    """Use a voucher once at this terminal's shop (idempotent on ``request.id``)."""
    transfer_id = parse_id(request.id)
    hashed = code_hash(request.code)
    digest = request_digest("redeem", terminal=terminal.id, code=hashed)

    def work(session: Session) -> Redemption:
        shop = terminal_shop(session, terminal)
        done = replayed(session, transfer_id, digest)
        voucher = session.scalar(select(Voucher).where(Voucher.code_hash == hashed))
        if voucher is None:
            raise PlatformError(ErrorCode.VOUCHER_INVALID, "this is not a valid voucher")
        if done is None:
            now = utcnow()
            municipality = session.get_one(Municipality, voucher.municipality_pk)
            require_usable(session, shop, municipality)
            if now >= voucher.valid_until:
                raise PlatformError(ErrorCode.VOUCHER_EXPIRED, "this voucher is past its date")
            if voucher.used_at is not None:
                raise PlatformError(ErrorCode.VOUCHER_USED, "this voucher was already used")
            if not claim_once(session, Voucher, Voucher.id == voucher.id, now=now):
                raise PlatformError(ErrorCode.VOUCHER_USED, "this voucher was already used")
            done = create(
                session,
                TransferSpec(
                    id=transfer_id,
                    debit=municipality_account(session, municipality, AccountKind.VOUCHERS),
                    credit=shop_account(session, shop, municipality),
                    amount=voucher.amount,
                    code=TransferCode.VOUCHER_REDEEM,
                    digest=digest,
                    linked_id=voucher.issue_transfer_id,
                    reference=voucher.number,
                    terminal_pk=terminal.id,
                ),
                now,
            )
            voucher.redeem_transfer_id = done.id
        return Redemption(
            id=str(done.id),
            number=voucher.number,
            amount=done.amount,
            municipality_code=done.ledger,
            shop_code=shop.code,
        )

    return audited(db, work, hooks.voucher_redeem(terminal, request), retry_unique=True)


def _expire_one(voucher_id: uuid.UUID, now: dt.datetime, session: Session) -> int:
    voucher = session.get_one(Voucher, voucher_id)
    if not claim_once(
        session, Voucher, Voucher.id == voucher.id, Voucher.valid_until <= now, now=now
    ):
        return 0
    municipality = session.get_one(Municipality, voucher.municipality_pk)
    transfer_id = new_id()
    transfer: Transfer = create(
        session,
        TransferSpec(
            id=transfer_id,
            debit=municipality_account(session, municipality, AccountKind.VOUCHERS),
            credit=municipality_account(session, municipality, AccountKind.EXPIRED),
            amount=voucher.amount,
            code=TransferCode.VOUCHER_EXPIRY,
            digest=request_digest("voucher-expiry", id=transfer_id),
            linked_id=voucher.issue_transfer_id,
            reference=voucher.number,
        ),
        now,
    )
    voucher.redeem_transfer_id = transfer.id
    return 1


def expire_vouchers(db: Database, now: dt.datetime) -> int:
    """Move the points of vouchers past their date to the expired account; how many."""
    ids = db.transaction(
        lambda s: list(
            s.scalars(
                select(Voucher.id).where(Voucher.used_at.is_(None), Voucher.valid_until <= now)
            )
        )
    )
    expired = 0
    for voucher_id in ids:
        expired += db.transaction(partial(_expire_one, voucher_id, now))
    return expired
