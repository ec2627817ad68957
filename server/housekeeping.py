"""Purging what has expired: challenges, request nonces, card sessions, portal sessions,
rate-limit events and counters, and registration tickets.

Each of these rows is refused once expired anyway (every check compares ``expires_at``
with now), so purging changes no answer; it keeps the hot tables small.  One
transaction per table, so a long purge never holds locks for long; rows referenced by a
row that is kept stay (a registration ticket while its browser session lives).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from server.db import Base, Database
from server.ledger.models import CardSession
from server.portal.models import PortalSession, RateEvent, RegistrationTicket
from server.ratelimit import RateCounter
from server.terminals.models import Challenge, RequestNonce

#: rate-limit events are kept this long: longer than any rate-limit window
RATE_EVENT_KEEP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class PurgeReport:
    """Rows deleted, per table."""

    challenges: int = 0
    nonces: int = 0
    card_sessions: int = 0
    portal_sessions: int = 0
    rate_events: int = 0
    registration_tickets: int = 0
    rate_counters: int = 0

    def fields(self) -> dict[str, int]:
        return {f"purged_{f.name}": getattr(self, f.name) for f in fields(self)}


def _delete(db: Database, table: type[Base], where: ColumnElement[bool]) -> int:
    def work(session: Session) -> int:
        result = session.execute(
            delete(table).where(where).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    return db.transaction(work)


def purge_expired(db: Database, now: dt.datetime) -> PurgeReport:
    """Delete every row that expired before ``now``; how many of each."""
    challenges = _delete(db, Challenge, Challenge.expires_at < now)
    nonces = _delete(db, RequestNonce, RequestNonce.expires_at < now)
    card_sessions = _delete(db, CardSession, CardSession.expires_at < now)
    portal_sessions = _delete(
        db,
        PortalSession,
        or_(PortalSession.expires_at < now, PortalSession.ended_at.is_not(None)),
    )
    rate_events = _delete(db, RateEvent, RateEvent.at < now - RATE_EVENT_KEEP)
    in_use = select(PortalSession.ticket_pk).where(PortalSession.ticket_pk.is_not(None))
    tickets = _delete(
        db,
        RegistrationTicket,
        (RegistrationTicket.expires_at < now) & RegistrationTicket.id.not_in(in_use),
    )
    rate_counters = _delete(db, RateCounter, RateCounter.expires_at < now)
    return PurgeReport(
        challenges, nonces, card_sessions, portal_sessions, rate_events, tickets, rate_counters
    )
