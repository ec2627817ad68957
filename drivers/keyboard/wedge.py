"""The keyboard wedge: type a checked service ID, with prefix and suffix, into the right window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from drivers.keyboard.base import (
    DEFAULT_TARGET_WINDOW,
    KeyboardBackend,
    KeyboardUnavailable,
    RefusedCharacters,
    WedgeSettings,
    WindowInfo,
    check_typeable,
)


class WedgeStatus(Enum):
    """What happened to one delivery."""

    TYPED = "typed"
    REFUSED = "refused"  # characters outside the ID format, or control characters
    WRONG_WINDOW = "wrong_window"  # the focused window does not match the target pattern
    NO_WINDOW = "no_window"  # a target is set but the focused window cannot be found
    UNAVAILABLE = "unavailable"  # the backend cannot inject keys


@dataclass(frozen=True)
class WedgeOutcome:
    """The result of :meth:`KeyboardWedge.deliver`; when not typed, the app shows the number."""

    status: WedgeStatus
    message: str = ""
    window: WindowInfo | None = None
    refused_chars: str = ""

    @property
    def typed(self) -> bool:
        """True if the number (with prefix and suffix) was typed."""
        return self.status is WedgeStatus.TYPED


def window_matches(pattern: str, window: WindowInfo) -> bool:
    """True if the regex is found in the window's title or class."""
    rx = re.compile(pattern)
    return bool(rx.search(window.title) or rx.search(window.wm_class))


class KeyboardWedge:
    """Types service IDs through a backend, following per-terminal settings."""

    def __init__(self, backend: KeyboardBackend, settings: WedgeSettings) -> None:
        self.backend = backend
        self.settings = settings

    def _target_outcome(self) -> WedgeOutcome | None:
        """None if typing may go ahead; otherwise the outcome that stops it."""
        if self.settings.any_window:
            return None
        pattern = self.settings.target_window_pattern or DEFAULT_TARGET_WINDOW
        window = self.backend.focused_window()
        if window is None:
            return WedgeOutcome(
                WedgeStatus.NO_WINDOW,
                f"cannot tell which window has the focus; not typed (target {pattern!r})",
            )
        if not window_matches(pattern, window):
            return WedgeOutcome(
                WedgeStatus.WRONG_WINDOW,
                f"the focused window {window.title!r} ({window.wm_class}) is not the target "
                f"{pattern!r}; not typed",
                window,
            )
        return None

    def deliver(self, service_id: str, allowed: str | re.Pattern[str]) -> WedgeOutcome:
        """Check the characters, check the focused window, then type prefix, ID and suffix."""
        try:
            check_typeable(service_id, allowed)
        except RefusedCharacters as e:
            return WedgeOutcome(WedgeStatus.REFUSED, str(e), refused_chars=e.chars)
        try:
            stop = self._target_outcome()
            if stop is not None:
                return stop
            for key in self.settings.prefix:
                self.backend.press(key)
            self.backend.type_text(service_id, per_key_delay_s=self.settings.per_key_delay_s)
            for key in self.settings.suffix:
                self.backend.press(key)
        except KeyboardUnavailable as e:
            return WedgeOutcome(WedgeStatus.UNAVAILABLE, e.reason)
        return WedgeOutcome(WedgeStatus.TYPED, "typed")
