"""Municipalities, by local government code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.ledger.models import Municipality


def ensure_municipality(session: Session, code: str, name: str) -> tuple[Municipality, bool]:
    """The municipality with ``code``, created with ``name`` if missing; (row, created)."""
    existing = session.scalar(select(Municipality).where(Municipality.code == code))
    if existing is not None:
        return existing, False
    municipality = Municipality(code=code, name=name)
    session.add(municipality)
    session.flush()
    return municipality, True
