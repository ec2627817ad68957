"""Rate limits kept in the database, so that every ``serve`` process shares them.

A compact counter per bucket and fixed window (one row per bucket and window, not a row
per hit).  A limit looks at the current window and the one before it, the older one
weighted by how much of it still lies within the sliding window — the usual
sliding-window estimate, exact when hits are spread evenly and never more than the limit
within any one window.  Each hit is one atomic UPDATE, correct across processes on
SQLite (one writer) and PostgreSQL (the row lock re-checks the condition).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import BigInteger, CursorResult, Index, Integer, String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base

#: the longest bucket name: a limit's name, its window and a key (an address, a hash)
BUCKET_LENGTH = 160


class RateCounter(Base):
    """Hits in one bucket within one fixed window."""

    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)

    bucket: Mapped[str] = mapped_column(String(BUCKET_LENGTH), primary_key=True)
    #: the window's number: seconds since the epoch // the window's length
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    #: after this the counter no longer counts (it was the previous window too)
    expires_at: Mapped[dt.datetime]


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits within ``window_s`` seconds per key, under ``name``."""

    name: str
    count: int
    window_s: int

    def bucket(self, key: str) -> str:
        return f"{self.name}/{self.window_s}:{key}"[:BUCKET_LENGTH]


@dataclass(frozen=True)
class _Position:
    window: int
    #: how far into the current window ``now`` is, 0 ≤ elapsed < 1
    elapsed: float


def _position(limit: Limit, now: dt.datetime) -> _Position:
    seconds = now.timestamp() / limit.window_s
    return _Position(math.floor(seconds), seconds - math.floor(seconds))


def _counts(session: Session, limit: Limit, key: str, at: _Position) -> tuple[int, int]:
    rows = session.execute(
        select(RateCounter.slot, RateCounter.hits).where(
            RateCounter.bucket == limit.bucket(key),
            RateCounter.slot.in_((at.window - 1, at.window)),
        )
    ).all()
    hits = {window: count for window, count in rows}
    return hits.get(at.window - 1, 0), hits.get(at.window, 0)


def _wait_s(limit: Limit, at: _Position, previous: int, current: int) -> int:
    """Seconds until one more hit fits (an estimate, at least 1, at most the window: every
    hit counted now is older than the window by then)."""
    if current + 1 <= limit.count and previous > 0:
        fraction = 1 - (limit.count - 1 - current) / previous
        wait = (fraction - at.elapsed) * limit.window_s
    else:
        fraction = 1 - (limit.count - 1) / current if current else 0.0
        wait = (1 - at.elapsed + max(0.0, fraction)) * limit.window_s
    return max(1, min(limit.window_s, math.ceil(wait)))


def retry_after(session: Session, limit: Limit, key: str, now: dt.datetime) -> int | None:
    """Read only: ``None`` when one more hit fits, else the seconds to wait."""
    at = _position(limit, now)
    previous, current = _counts(session, limit, key, at)
    if previous * (1 - at.elapsed) + current + 1 <= limit.count:
        return None
    return _wait_s(limit, at, previous, current)


def _ensure_row(session: Session, limit: Limit, key: str, at: _Position) -> None:
    values = {
        "bucket": limit.bucket(key),
        "slot": at.window,
        "hits": 0,
        "expires_at": dt.datetime.fromtimestamp((at.window + 2) * limit.window_s, dt.UTC),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(RateCounter).values(values).on_conflict_do_nothing())


def hit(session: Session, limit: Limit, key: str, now: dt.datetime) -> int | None:
    """Count one hit if it fits; ``None`` when counted, else the seconds to wait (and
    nothing is counted)."""
    at = _position(limit, now)
    _ensure_row(session, limit, key, at)
    previous, _current = _counts(session, limit, key, at)
    room = limit.count - previous * (1 - at.elapsed)  # hits the current window may hold
    result = session.execute(
        update(RateCounter)
        .where(
            RateCounter.bucket == limit.bucket(key),
            RateCounter.slot == at.window,
            RateCounter.hits + 1 <= room,
        )
        .values(hits=RateCounter.hits + 1)
        .execution_options(synchronize_session=False)
    )
    if isinstance(result, CursorResult) and result.rowcount == 1:
        return None
    previous, current = _counts(session, limit, key, at)
    return _wait_s(limit, at, previous, current)


def count(session: Session, limit: Limit, key: str, now: dt.datetime) -> None:
    """Count one hit whatever the count (a refusal that is counted against its key)."""
    at = _position(limit, now)
    _ensure_row(session, limit, key, at)
    session.execute(
        update(RateCounter)
        .where(RateCounter.bucket == limit.bucket(key), RateCounter.slot == at.window)
        .values(hits=RateCounter.hits + 1)
        .execution_options(synchronize_session=False)
    )
