"""Municipalities, shops, events and supporters by code, and the municipality's rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.ledger.models import Municipality, PointEvent, Shop, Supporter, UsageRule


def _not_found(what: str, code: str) -> PlatformError:
    return PlatformError(ErrorCode.LEDGER_NOT_FOUND, f"no {what} {code}")


def municipality_by_code(session: Session, code: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.code == code))
    if found is None:
        raise _not_found("municipality", code)
    return found


def shop_by_code(session: Session, code: str) -> Shop:
    found = session.scalar(select(Shop).where(Shop.code == code))
    if found is None:
        raise _not_found("shop", code)
    return found


def supporter_by_code(session: Session, code: str) -> Supporter:
    found = session.scalar(select(Supporter).where(Supporter.code == code))
    if found is None:
        raise _not_found("supporter", code)
    return found


def event_by_code(session: Session, municipality: Municipality, code: str) -> PointEvent:
    found = session.scalar(
        select(PointEvent).where(
            PointEvent.municipality_pk == municipality.id, PointEvent.code == code
        )
    )
    if found is None:
        raise _not_found("event", f"{municipality.code}/{code}")
    return found


def points_expire_at(municipality: Municipality, now: dt.datetime) -> dt.datetime:
    """When points credited now to a holder's account of ``municipality`` expire."""
    return now + dt.timedelta(days=municipality.points_valid_days)


def usable_at(session: Session, shop: Shop) -> list[Municipality]:
    """The municipalities whose points may be used at ``shop``, by code."""
    rules = select(UsageRule.municipality_pk).where(
        or_(UsageRule.shop_pk == shop.id, UsageRule.category == shop.category)
    )
    return list(
        session.scalars(
            select(Municipality).where(Municipality.id.in_(rules)).order_by(Municipality.code)
        )
    )


def require_usable(session: Session, shop: Shop, municipality: Municipality) -> None:
    """``not_usable_here`` unless the municipality allows its points at the shop."""
    if municipality.id not in {m.id for m in usable_at(session, shop)}:
        raise PlatformError(
            ErrorCode.NOT_USABLE_HERE,
            f"{municipality.name}'s points cannot be used at {shop.name}",
        )
