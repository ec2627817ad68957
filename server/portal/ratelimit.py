"""Rate limits kept in the database (processes are stateless): events per named bucket."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.portal.models import RateEvent


def allow(
    session: Session, bucket: str, limit: int, window: dt.timedelta, now: dt.datetime
) -> bool:
    """Record one event in ``bucket`` unless ``limit`` events happened within ``window``;
    whether it was allowed. Events older than the window are dropped."""
    since = now - window
    session.execute(delete(RateEvent).where(RateEvent.bucket == bucket, RateEvent.at < since))
    count = session.scalar(
        select(func.count()).select_from(RateEvent).where(RateEvent.bucket == bucket)
    )
    if (count or 0) >= limit:
        return False
    session.add(RateEvent(bucket=bucket, at=now))
    return True
