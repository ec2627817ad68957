"""The platform's one clock: the current time (timezone-aware UTC) and Japan time, in which
days are counted (label limits, daily grant caps, settlement periods)."""

from __future__ import annotations

import datetime as dt

#: Japan Standard Time (no daylight saving)
JST = dt.timezone(dt.timedelta(hours=9), "JST")


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)
