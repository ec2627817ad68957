"""The platform's rate limits: per client address and per supporter key before
authentication, per terminal and per card after it — all counted in the database
(:mod:`server.ratelimit`), so that every ``serve`` process meets the same limits.

Two kinds:

- *refusal limits* (``address``, ``supporter``): what is counted is a refusal — a bad
  signature, an unknown terminal, a bad bearer key (per client address), an unknown
  MyKey ID (per supporter key).  The check before authentication only reads; the count
  after a refusal is a brief write of its own that never queues behind a long write
  (if SQLite's write lock is busy, that one refusal goes uncounted).
- *volume limits* (``terminal``, ``card``): every authenticated request (card proof)
  counts, in the transaction that spends the request's nonce.

Configured by ``MYKEY_PLATFORM_RATE_LIMITS``: ``address=N/S,terminal=N/S,card=N/S,
supporter=N/S`` (any part may be left out: its default; ``N=0`` turns it off), or ``off``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.db import Database
from server.errors import PlatformError
from server.ratelimit import Limit, count, hit, retry_after

log = logging.getLogger(__name__)

RATE_LIMITS_ENV = "MYKEY_PLATFORM_RATE_LIMITS"
DEFAULTS: dict[str, tuple[int, int]] = {
    #: refusals per client address: an honest terminal or company is rarely refused
    "address": (60, 60),
    #: a counter does a tap every few seconds at most: 1,200 requests a minute is a runaway
    "terminal": (1200, 60),
    #: a card proves itself a few times per visit: 30 proofs in 10 minutes is a loop
    "card": (30, 600),
    #: unknown MyKey IDs per supporter key: typos happen, enumeration is refused
    "supporter": (30, 600),
}
_MESSAGES = {
    "address": "too many refused requests from this address",
    "terminal": "this terminal sends too many requests",
    "card": "this card was used too often in a short time",
    "supporter": "too many unknown MyKey IDs with this API key",
}


@dataclass(frozen=True)
class RateLimits:
    """The platform's limits; ``None`` for a limit that is off."""

    address: Limit | None = None
    terminal: Limit | None = None
    card: Limit | None = None
    supporter: Limit | None = None

    @classmethod
    def from_text(cls, text: str | None) -> RateLimits:
        """Parse ``NAME=N/S,…`` or ``off`` (``None``: the defaults)."""
        if text is not None and text.strip().lower() == "off":
            return cls()
        parts = dict(DEFAULTS)
        for item in (text or "").split(","):
            if not item.strip():
                continue
            name, _, value = item.partition("=")
            number, _, seconds = value.partition("/")
            seconds = seconds.strip() or "60"
            if name.strip() not in parts or not number.strip().isdigit() or not seconds.isdigit():
                raise ValueError(f"{RATE_LIMITS_ENV}: {item!r} is not NAME=COUNT/SECONDS")
            parts[name.strip()] = (int(number), max(1, int(seconds)))
        limits = {name: Limit(name, n, s) if n > 0 else None for name, (n, s) in parts.items()}
        return cls(**limits)

    @classmethod
    def from_environment(cls) -> RateLimits:
        return cls.from_text(os.environ.get(RATE_LIMITS_ENV))


def _refuse(limit: Limit, wait_s: int) -> PlatformError:
    return PlatformError(
        ErrorCode.RATE_LIMITED,
        f"{_MESSAGES[limit.name]}: try again in {wait_s} s",
        retry_after=wait_s,
    )


def check_refusals(db: Database, limit: Limit | None, key: str, now: dt.datetime) -> None:
    """Before authentication, read only: 429 when ``key`` was refused too often lately."""
    if limit is None:
        return
    wait = db.read(lambda session: retry_after(session, limit, key, now))
    if wait is not None:
        raise _refuse(limit, wait)


def count_refusal(db: Database, limit: Limit | None, key: str, now: dt.datetime) -> None:
    """Count a refusal against ``key``: a brief write; skipped (logged) when SQLite's
    write lock stays busy — the request is refused anyway."""
    if limit is None:
        return
    try:
        db.brief_transaction(lambda session: count(session, limit, key, now))
    except DBAPIError as error:
        log.warning("refusal not counted for %s: %s", limit.name, error.orig)


def hit_volume(session: Session, limit: Limit | None, key: str, now: dt.datetime) -> None:
    """Count one request (proof) against ``key`` in the caller's transaction; 429 (and
    nothing counted) when it does not fit."""
    if limit is None:
        return
    wait = hit(session, limit, key, now)
    if wait is not None:
        raise _refuse(limit, wait)
