"""Accounts by their natural key, created on first use (race-free on both databases)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db import new_id, utcnow
from server.ledger.models import (
    HOLDER_KINDS,
    SUPPORT_LEDGER,
    Account,
    AccountKind,
    Municipality,
    PointEvent,
    Shop,
    Supporter,
)


def _ensure(
    session: Session, key: str, ledger: str, kind: AccountKind, **owners: object
) -> Account:
    """The account with ``key``, inserted if missing (``INSERT … ON CONFLICT DO NOTHING``,
    so two transactions creating it at once both end up with the same row)."""
    account = session.scalar(select(Account).where(Account.key == key))
    if account is not None:
        return account
    values = {
        "id": new_id(),
        "key": key,
        "ledger": ledger,
        "kind": kind.value,
        "no_overdraft": kind in HOLDER_KINDS,
        "debits_pending": 0,
        "debits_posted": 0,
        "credits_pending": 0,
        "credits_posted": 0,
        "created_at": utcnow(),
        **owners,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Account).values(values).on_conflict_do_nothing(index_elements=["key"]))
    return session.scalars(select(Account).where(Account.key == key)).one()


def holder_account(
    session: Session,
    mykey_pk: uuid.UUID,
    municipality: Municipality,
    event: PointEvent | None = None,
) -> Account:
    """A MyKey ID's regular account at a municipality, or its account for one event."""
    if event is None:
        return _ensure(
            session,
            f"holder:{municipality.code}:{mykey_pk}",
            municipality.code,
            AccountKind.HOLDER,
            mykey_pk=mykey_pk,
            municipality_pk=municipality.id,
        )
    return _ensure(
        session,
        f"event:{municipality.code}:{event.code}:{mykey_pk}",
        municipality.code,
        AccountKind.EVENT,
        mykey_pk=mykey_pk,
        municipality_pk=municipality.id,
        event_pk=event.id,
    )


def reserved_account(session: Session, mykey_pk: uuid.UUID, supporter: Supporter) -> Account:
    """A MyKey ID's reserved support points from one supporter company."""
    return _ensure(
        session,
        f"reserved:{supporter.code}:{mykey_pk}",
        SUPPORT_LEDGER,
        AccountKind.RESERVED,
        mykey_pk=mykey_pk,
        supporter_pk=supporter.id,
    )


def municipality_account(
    session: Session, municipality: Municipality, kind: AccountKind
) -> Account:
    """One of a municipality's own accounts: issuance, vouchers or expired (its ledger), or
    clearing (the support ledger: support points assigned to it)."""
    if kind not in {
        AccountKind.ISSUANCE,
        AccountKind.VOUCHERS,
        AccountKind.EXPIRED,
        AccountKind.CLEARING,
    }:
        raise ValueError(f"{kind} is not a municipality's account")
    ledger = SUPPORT_LEDGER if kind is AccountKind.CLEARING else municipality.code
    return _ensure(
        session, f"{kind.value}:{municipality.code}", ledger, kind, municipality_pk=municipality.id
    )


def shop_account(session: Session, shop: Shop, municipality: Municipality) -> Account:
    """A shop's points of one municipality, to be settled by it."""
    return _ensure(
        session,
        f"shop:{municipality.code}:{shop.code}",
        municipality.code,
        AccountKind.SHOP,
        shop_pk=shop.id,
        municipality_pk=municipality.id,
    )


def supporter_account(session: Session, supporter: Supporter) -> Account:
    """A supporter company's account: debited by every conversion it makes."""
    return _ensure(
        session,
        f"supporter:{supporter.code}",
        SUPPORT_LEDGER,
        AccountKind.SUPPORTER,
        supporter_pk=supporter.id,
    )
