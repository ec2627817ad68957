"""A recording keyboard backend for wedge tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.keyboard.base import SpecialKey, WindowInfo


@dataclass
class FakeBackend:
    """Records what would be typed; reports a chosen focused window."""

    window: WindowInfo | None = None
    events: list[str | SpecialKey] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    name: str = "fake"

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        self.events.append(text)
        self.delays.append(per_key_delay_s)

    def press(self, key: SpecialKey) -> None:
        self.events.append(key)

    def focused_window(self) -> WindowInfo | None:
        return self.window
