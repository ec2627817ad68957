"""Rate limits per terminal and per card: 429 with Retry-After, and nothing changes."""

from __future__ import annotations

import pytest

from server.terminals.ratelimit import RATE_LIMITS_ENV, RateLimits, SlidingWindow
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.conftest import Library
from tests.unit.server.world import tap


def test_a_sliding_window_allows_the_limit_then_says_how_long_to_wait() -> None:
    window = SlidingWindow(limit=2, window_s=10)
    assert window.hit("a", now=0.0) is None
    assert window.hit("a", now=1.0) is None
    assert window.hit("a", now=2.0) == pytest.approx(8.0)
    assert window.hit("b", now=2.0) is None  # another key has its own window
    assert window.hit("a", now=10.5) is None  # the first hit left the window


def test_the_limits_are_read_from_text() -> None:
    limits = RateLimits.from_text("terminal=5/1,card=2/60")
    assert limits.terminal is not None and (limits.terminal.limit, limits.terminal.window_s) == (
        5,
        1,
    )
    assert limits.card is not None and (limits.card.limit, limits.card.window_s) == (2, 60)
    assert RateLimits.from_text("off") == RateLimits(None, None)
    assert RateLimits.from_text("card=0/60").card is None
    defaults = RateLimits.from_text(None)
    assert defaults.terminal is not None and defaults.card is not None
    for bad in ("terminal=lots", "cards=1/1", "terminal"):
        with pytest.raises(ValueError, match=RATE_LIMITS_ENV):
            RateLimits.from_text(bad)


def test_a_card_tapped_in_a_loop_is_slowed_down(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("card=3/600")
    for _ in range(3):
        assert tap(library.desk, library.patron).status_code == 200
    refused = tap(library.desk, library.patron)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    other = library.ca.issue(2)
    assert tap(library.desk, other).json()["error"] == "not_registered"  # other cards go on


def test_a_runaway_terminal_is_slowed_down(
    library: Library, inprocess_platform: InProcessPlatform
) -> None:
    inprocess_platform.app.state.rate_limits = RateLimits.from_text("terminal=4/600")
    statuses = [library.desk.post("/v1/challenges").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    second = library.world.enroll("library", "desk 2")
    assert second.post("/v1/challenges").status_code == 200
