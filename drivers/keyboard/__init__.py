"""Keyboard wedge: type a service ID as keystrokes (X11, uinput, Windows, macOS)."""

from __future__ import annotations

import os
import sys

from drivers.keyboard.base import (
    Affix,
    KeyboardBackend,
    KeyboardError,
    KeyboardUnavailable,
    RefusedCharacters,
    SpecialKey,
    WedgeSettings,
    WindowInfo,
    check_typeable,
    format_affix,
    parse_affix,
)
from drivers.keyboard.wedge import KeyboardWedge, WedgeOutcome, WedgeStatus

BACKENDS = ("auto", "x11", "uinput", "windows", "macos")

__all__ = [
    "BACKENDS",
    "Affix",
    "KeyboardBackend",
    "KeyboardError",
    "KeyboardUnavailable",
    "KeyboardWedge",
    "RefusedCharacters",
    "SpecialKey",
    "WedgeOutcome",
    "WedgeSettings",
    "WedgeStatus",
    "WindowInfo",
    "auto_backend_name",
    "check_typeable",
    "choose_backend",
    "format_affix",
    "parse_affix",
]


def auto_backend_name(platform: str = sys.platform, env: dict[str, str] | None = None) -> str:
    """The backend "auto" picks: X11 if DISPLAY, uinput on Wayland/console Linux, or the OS's."""
    env = dict(os.environ) if env is None else env
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    if env.get("DISPLAY"):
        return "x11"
    return "uinput"


def choose_backend(name: str = "auto") -> KeyboardBackend:
    """Build a backend by name; KeyboardUnavailable if it cannot work here."""
    if name not in BACKENDS:
        raise ValueError(f"unknown keyboard backend {name!r}; use one of {', '.join(BACKENDS)}")
    if name == "auto":
        name = auto_backend_name()
    if name == "x11":
        from drivers.keyboard.x11 import X11Backend

        return X11Backend()
    if name == "uinput":
        from drivers.keyboard.uinput import UinputBackend

        return UinputBackend()
    if name == "windows":
        from drivers.keyboard.windows import WindowsBackend

        return WindowsBackend()
    from drivers.keyboard.macos import MacOSBackend

    return MacOSBackend()
