"""Rate limits per address, terminal and card: 429 with Retry-After, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest

from server.ratelimit import Limit, count, hit, retry_after
from server.terminals.ratelimit import RATE_LIMITS_ENV, RateLimits
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.conftest import Library
from tests.unit.server.world import tap

T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)  # the start of a 10 s window


def test_a_counter_allows_the_limit_then_says_how_long_to_wait(
    inprocess_platform: InProcessPlatform,
) -> None:
    db, limit = inprocess_platform.db, Limit("test", 2, 10)

    def at(seconds: float, key: str = "a") -> int | None:
        now = T0 + dt.timedelta(seconds=seconds)
        return db.transaction(lambda session: hit(session, limit, key, now))

    assert at(0) is None
    assert at(1) is None
    assert 1 <= (at(2) or 0) <= 20
    assert at(2, key="b") is None  # another key has its own count
    # the next window: the two hits of the last one still weigh (1 - 0.5) × 2 = 1
    assert at(15) is None
    assert at(15.5) is not None
    assert at(29) is None  # the old window has nearly left the sliding window
    assert db.read(lambda s: retry_after(s, limit, "b", T0 + dt.timedelta(seconds=3))) is None


def test_the_wait_never_exceeds_the_window(inprocess_platform: InProcessPlatform) -> None:
    """Refusals are counted beyond the limit; early in a window the estimate for a key far
    over its limit said up to two windows, though every counted hit leaves the sliding
    window within one (Retry-After was 3659 s for a 3600 s limit)."""
    db, limit = inprocess_platform.db, Limit("test", 5, 3600)
    early = T0 + dt.timedelta(seconds=30)
    for _ in range(20):
        db.transaction(lambda session: count(session, limit, "flood", early))
    wait = db.read(lambda session: retry_after(session, limit, "flood", early))
    assert wait is not None and 1 <= wait <= 3600


def test_the_limits_are_read_from_text() -> None:
    limits = RateLimits.from_text("terminal=5/1,card=2/60,address=7/30")
    assert limits.terminal == Limit("terminal", 5, 1)
    assert limits.card == Limit("card", 2, 60)
    assert limits.address == Limit("address", 7, 30)
    assert RateLimits.from_text("off") == RateLimits()
    assert RateLimits.from_text("card=0/60").card is None
    defaults = RateLimits.from_text(None)
    assert None not in (defaults.terminal, defaults.card, defaults.address, defaults.supporter)
    for bad in ("terminal=lots", "cards=1/1", "terminal", "address=1/x"):
        with pytest.raises(ValueError, match=RATE_LIMITS_ENV):
            RateLimits.from_text(bad)


def test_a_card_tapped_in_a_loop_is_slowed_down(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("card=3/3600")
    for _ in range(3):
        assert tap(library.desk, library.patron).status_code == 200
    refused = tap(library.desk, library.patron)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 7200
    other = library.ca.issue(2)
    assert tap(library.desk, other).json()["error"] == "not_registered"  # other cards go on


def test_a_runaway_terminal_is_slowed_down(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("terminal=4/3600")
    statuses = [library.desk.post("/v1/challenges").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    second = library.world.enroll("library", "desk 2")
    assert second.post("/v1/challenges").status_code == 200
