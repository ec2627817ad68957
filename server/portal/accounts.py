"""My Page accounts: what the resident may change (logging in: :mod:`server.portal.login`).

Functions here take a :class:`Session` and never commit; :mod:`server.portal.mypage`
runs them in transactions.  The ledger's side (balances, reserved points, the default
municipal account) is :mod:`server.ledger.holders`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.models import MyKey
from server.ledger import holders
from server.portal.models import PortalAccount


def account_of(session: Session, mykey_pk: uuid.UUID) -> PortalAccount:
    account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey_pk))
    assert account is not None, "every portal session belongs to an account"
    return account


def mykey_of(session: Session, mykey_pk: uuid.UUID) -> MyKey:
    mykey = session.get(MyKey, mykey_pk)
    assert mykey is not None
    return mykey


def municipality_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every municipality, for the default account."""
    return holders.municipalities(session)


def set_default(session: Session, mykey_pk: uuid.UUID, code: str) -> None:
    holders.set_default_municipality(session, mykey_pk, code)
