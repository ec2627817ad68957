"""The macOS CGEvent call sequence (with a fake Quartz) and choose_backend."""

from __future__ import annotations

from typing import Any

import pytest

from drivers.keyboard import BACKENDS, auto_backend_name, choose_backend
from drivers.keyboard.base import KeyboardUnavailable, SpecialKey
from drivers.keyboard.macos import MacOSBackend


class FakeQuartz:
    def __init__(self, trusted: bool = True) -> None:
        self.trusted = trusted
        self.calls: list[tuple[Any, ...]] = []
        self._next = 100

    def AXIsProcessTrusted(self) -> bool:  # noqa: N802 - Apple's names
        return self.trusted

    def CGEventSourceCreate(self, state: int) -> int:  # noqa: N802
        self.calls.append(("source", state))
        return 1

    def CGEventCreateKeyboardEvent(self, source: int, keycode: int, down: bool) -> int:  # noqa: N802
        self._next += 1
        self.calls.append(("create", self._next, keycode, down))
        return self._next

    def CGEventKeyboardSetUnicodeString(self, event: int, n: int, buf: Any) -> None:  # noqa: N802
        self.calls.append(("unicode", event, "".join(chr(buf[i]) for i in range(n))))

    def CGEventPost(self, tap: int, event: int) -> None:  # noqa: N802
        self.calls.append(("post", tap, event))

    def CFRelease(self, event: int) -> None:  # noqa: N802
        self.calls.append(("release", event))


def test_each_character_is_a_down_and_up_event_with_its_unicode_string() -> None:
    q = FakeQuartz()
    MacOSBackend(q).type_text("7")
    assert q.calls == [
        ("source", 1),
        ("create", 101, 0, True),
        ("unicode", 101, "7"),
        ("post", 0, 101),
        ("release", 101),
        ("create", 102, 0, False),
        ("unicode", 102, "7"),
        ("post", 0, 102),
        ("release", 102),
    ]


def test_enter_uses_the_return_key_code_without_a_string() -> None:
    q = FakeQuartz()
    MacOSBackend(q).press(SpecialKey.ENTER)
    creates = [c for c in q.calls if c[0] == "create"]
    assert [c[2:] for c in creates] == [(36, True), (36, False)]
    assert not [c for c in q.calls if c[0] == "unicode"]


def test_without_accessibility_permission_it_explains() -> None:
    with pytest.raises(KeyboardUnavailable, match="Accessibility"):
        MacOSBackend(FakeQuartz(trusted=False))


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"DISPLAY": ":0"}, "x11"),
        ("linux", {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "x11"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "uinput"),
        ("linux", {}, "uinput"),
        ("win32", {}, "windows"),
        ("darwin", {"DISPLAY": ":0"}, "macos"),
    ],
)
def test_auto_choice(platform: str, env: dict[str, str], expected: str) -> None:
    assert auto_backend_name(platform, env) == expected


def test_unknown_backend_name() -> None:
    with pytest.raises(ValueError, match="unknown keyboard backend"):
        choose_backend("wayland")
    assert "auto" in BACKENDS


def test_unavailable_backends_raise_keyboard_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(KeyboardUnavailable, match="DISPLAY"):
        choose_backend("x11")
    with pytest.raises(KeyboardUnavailable):
        choose_backend("windows")
    with pytest.raises(KeyboardUnavailable):
        choose_backend("macos")
