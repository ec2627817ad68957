"""Supporter companies for the operator: list and revoke (adding is
:func:`server.ledger.conversions.add_supporter`, which makes the API key)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import OperatorError
from server.ledger.models import Supporter


def list_supporters(session: Session) -> list[Supporter]:
    """Every supporter company, by code."""
    return list(session.scalars(select(Supporter).order_by(Supporter.code)))


def revoke_supporter(session: Session, code: str) -> Supporter:
    """Refuse every further conversion with the company's API key (its points stay)."""
    supporter = session.scalar(select(Supporter).where(Supporter.code == code))
    if supporter is None:
        raise OperatorError(f"no supporter {code}")
    if supporter.revoked_at is not None:
        raise OperatorError(
            f"supporter {code} was revoked already ({supporter.revoked_at:%Y-%m-%d})"
        )
    supporter.revoked_at = utcnow()
    return supporter
