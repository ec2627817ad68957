"""Payments at a shop: hold (a pending transfer), then post or void; refunds.

A payment is a pending transfer from the holder's account (regular or event) at a
municipality to the shop's account for that municipality, released automatically when
not posted within :data:`HOLD_TIMEOUT`.  A refund of a posted payment is a new transfer
the other way, linked to the payment; refunds never exceed the payment.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind
from server.api.schemas import (
    ErrorCode,
    Payment,
    PaymentRequest,
    PaymentStatus,
    Refund,
    RefundRequest,
    ResolveRequest,
)
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, utcnow
from server.errors import PlatformError
from server.ledger.accounts import holder_account, shop_account
from server.ledger.models import Account, Municipality, OpenPending, Shop, Transfer, TransferCode
from server.ledger.rules import (
    event_by_code,
    municipality_by_code,
    points_expire_at,
    require_usable,
)
from server.ledger.sessions import parse_id, spend, terminal_shop
from server.ledger.transfers import (
    TransferSpec,
    create,
    pending_state,
    replayed,
    request_digest,
    resolve,
)
from server.terminals.models import Terminal

HOLD_TIMEOUT = dt.timedelta(minutes=5)


def _refunded(session: Session, payment_id: uuid.UUID) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.linked_id == payment_id, Transfer.code == TransferCode.REFUND.value
        )
    )
    return int(total or 0)


def describe(session: Session, pending: Transfer, state: str | None = None) -> Payment:
    """The payment whose hold is ``pending``, as a terminal sees it; ``state``
    (:func:`~server.ledger.transfers.pending_state`) when the caller knows it already."""
    state = state or pending_state(session, pending)
    shop = session.get_one(Shop, session.get_one(Account, pending.credit_account_pk).shop_pk)
    return Payment(
        id=str(pending.id),
        status={"open": PaymentStatus.HELD, "posted": PaymentStatus.POSTED}.get(
            state, PaymentStatus.VOIDED
        ),
        amount=pending.amount,
        municipality_code=pending.ledger,
        shop_code=shop.code,
        hold_expires_at=pending.timeout_at if state == "open" else None,
        # only a posted payment can have been refunded
        refunded=_refunded(session, pending.id) if state == "posted" else 0,
        created_at=pending.created_at,
    )


def hold(db: Database, terminal: Terminal, request: PaymentRequest) -> Payment:
    """Hold the amount on the holder's account (idempotent on ``request.id``)."""
    transfer_id = parse_id(request.id)
    digest = request_digest(
        "payment",
        terminal=terminal.id,
        session=request.session_id,
        municipality=request.municipality_code,
        event=request.event_code,
        amount=request.amount,
    )

    def work(session: Session) -> Payment:
        done = replayed(session, transfer_id, digest)
        if done is not None:
            return describe(session, done)
        now = utcnow()
        shop = terminal_shop(session, terminal)
        signed = CardOperation(kind=OperationKind.PAYMENT, points=request.amount)
        mykey_pk = spend(session, terminal, request.session_id, now, signed, transfer_id)
        municipality = municipality_by_code(session, request.municipality_code)
        require_usable(session, shop, municipality)
        event = (
            event_by_code(session, municipality, request.event_code) if request.event_code else None
        )
        pending = create(
            session,
            TransferSpec(
                id=transfer_id,
                debit=holder_account(session, mykey_pk, municipality, event),
                credit=shop_account(session, shop, municipality),
                amount=request.amount,
                code=TransferCode.PAYMENT,
                digest=digest,
                pending_timeout=HOLD_TIMEOUT,
                terminal_pk=terminal.id,
            ),
            now,
            new=True,  # replayed() found none above
        )
        return describe(session, pending, "open")  # created just now

    return audited(db, work, hooks.payment_hold(terminal, request), retry_unique=True)


def _payment(session: Session, terminal: Terminal, payment_id: str) -> Transfer:
    key = parse_id(payment_id, "payment id")
    pending = session.get(Transfer, key)
    if (
        pending is None
        or pending.code != TransferCode.PAYMENT.value
        or not pending.pending
        or pending.terminal_pk is None
    ):
        raise PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no payment {payment_id}")
    shop = terminal_shop(session, terminal)
    if session.get_one(Account, pending.credit_account_pk).shop_pk != shop.id:
        raise PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no payment {payment_id} at this shop")
    return pending


def finish(
    db: Database, terminal: Terminal, payment_id: str, request: ResolveRequest, *, post: bool
) -> Payment:
    """Post (complete) or void (cancel) a held payment; idempotent on ``request.id``."""
    transfer_id = parse_id(request.id)
    digest = request_digest("post" if post else "void", payment=payment_id, terminal=terminal.id)

    def work(session: Session) -> Payment | PlatformError:
        pending = _payment(session, terminal, payment_id)
        try:
            resolution = resolve(
                session,
                pending,
                post=post,
                transfer_id=transfer_id,
                digest=digest,
                now=utcnow(),
                terminal_pk=terminal.id,
            )
        except PlatformError as error:
            if error.code is ErrorCode.PENDING_EXPIRED:
                return error  # committed: the timed-out hold is released now
            raise
        # this request's resolution (now or on its first run): the payment's only one
        return describe(session, pending, "posted" if resolution.post_pending else "voided")

    spec = hooks.payment_finish(terminal, payment_id, request, post=post)
    outcome = audited(db, work, spec, retry_unique=True)
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome


def refund(db: Database, terminal: Terminal, payment_id: str, request: RefundRequest) -> Refund:
    """Give back (part of) a posted payment to the holder's account; idempotent."""
    transfer_id = parse_id(request.id)
    digest = request_digest(
        "refund", payment=payment_id, terminal=terminal.id, amount=request.amount
    )

    def work(session: Session) -> Refund:
        pending = _payment(session, terminal, payment_id)
        done = replayed(session, transfer_id, digest)
        if done is None:
            # one refund decision per payment at a time
            session.execute(select(Transfer.id).where(Transfer.id == pending.id).with_for_update())
            if pending_state(session, pending) != "posted":
                raise PlatformError(
                    ErrorCode.REFUND_EXCEEDS_PAYMENT, "only a completed payment can be refunded"
                )
            already = _refunded(session, pending.id)
            if already + request.amount > pending.amount:
                raise PlatformError(
                    ErrorCode.REFUND_EXCEEDS_PAYMENT,
                    f"refunds would exceed the payment: {already} of {pending.amount} "
                    "already refunded",
                )
            now = utcnow()
            holder = session.get_one(Account, pending.debit_account_pk)
            municipality = session.get_one(Municipality, holder.municipality_pk)
            done = create(
                session,
                TransferSpec(
                    id=transfer_id,
                    debit=session.get_one(Account, pending.credit_account_pk),
                    credit=holder,
                    amount=request.amount,
                    code=TransferCode.REFUND,
                    digest=digest,
                    points_expire_at=points_expire_at(municipality, now),
                    linked_id=pending.id,
                    terminal_pk=terminal.id,
                ),
                now,
            )
        return Refund(
            id=str(done.id),
            payment_id=str(pending.id),
            amount=done.amount,
            refunded_total=_refunded(session, pending.id),
        )

    spec = hooks.payment_refund(terminal, payment_id, request)
    return audited(db, work, spec, retry_unique=True)


def open_holds(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OpenPending)) or 0)
