"""Rate limits per terminal (signed requests) and per card (card proofs).

A sliding window per key, kept in the platform process's memory: with several worker
processes each applies the limit on its own, so the effective limit is up to
``workers ×`` the configured one — the limits stop a runaway or stolen terminal and a
card tapped in a loop, they are not a billing meter.  Configured by
``MYKEY_PLATFORM_RATE_LIMITS``: ``terminal=REQUESTS/SECONDS,card=PROOFS/SECONDS`` (either
part may be left out), or ``off``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from server.api.schemas import ErrorCode
from server.errors import PlatformError

RATE_LIMITS_ENV = "MYKEY_PLATFORM_RATE_LIMITS"
#: a counter does a tap every few seconds at most: 1,200 requests a minute is a runaway
DEFAULT_TERMINAL = (1200, 60.0)
#: a card proves itself a few times per visit: 30 proofs in 10 minutes is a loop
DEFAULT_CARD = (30, 600.0)


@dataclass
class SlidingWindow:
    """At most ``limit`` hits per key within ``window_s`` seconds; thread-safe."""

    limit: int
    window_s: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str, now: float | None = None) -> float | None:
        """Count one hit; ``None`` when allowed, else the seconds until one is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window_s - now
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys now and then
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
            del self._hits[key]


@dataclass
class RateLimits:
    """The platform's limits; ``None`` for a limit that is off."""

    terminal: SlidingWindow | None
    card: SlidingWindow | None

    @classmethod
    def from_text(cls, text: str | None) -> RateLimits:
        """Parse ``terminal=N/S,card=N/S`` or ``off`` (``None``: the defaults)."""
        if text is not None and text.strip().lower() == "off":
            return cls(None, None)
        parts = {"terminal": DEFAULT_TERMINAL, "card": DEFAULT_CARD}
        for item in (text or "").split(","):
            if not item.strip():
                continue
            name, _, value = item.partition("=")
            count, _, seconds = value.partition("/")
            if name.strip() not in parts or not count.strip().isdigit():
                raise ValueError(f"{RATE_LIMITS_ENV}: {item!r} is not NAME=COUNT/SECONDS")
            parts[name.strip()] = (int(count), float(seconds or 60))
        return cls(
            SlidingWindow(*parts["terminal"]) if parts["terminal"][0] > 0 else None,
            SlidingWindow(*parts["card"]) if parts["card"][0] > 0 else None,
        )

    @classmethod
    def from_environment(cls) -> RateLimits:
        return cls.from_text(os.environ.get(RATE_LIMITS_ENV))

    def check_terminal(self, terminal_id: str) -> None:
        _check(self.terminal, terminal_id, "this terminal sends too many requests")

    def check_card(self, fingerprint: str) -> None:
        _check(self.card, fingerprint, "this card was used too often in a short time")


def _check(window: SlidingWindow | None, key: str, what: str) -> None:
    if window is None:
        return
    wait = window.hit(key)
    if wait is not None:
        retry_after = max(1, math.ceil(wait))
        raise PlatformError(
            ErrorCode.RATE_LIMITED, f"{what}: try again in {retry_after} s", retry_after=retry_after
        )
