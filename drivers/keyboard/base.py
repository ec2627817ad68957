"""The keyboard-wedge interface: backends, errors, typeable characters, prefix/suffix."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable

from drivers.keyboard.charset import ascii_pattern, pattern_admits


class SpecialKey(Enum):
    """Keys a wedge may press besides the number's own characters."""

    ENTER = "enter"
    TAB = "tab"


#: a prefix or suffix: no key, one key or a sequence of keys, pressed in order
Affix = tuple[SpecialKey, ...]

_AFFIX_SPLIT = re.compile(r"[\s,+]+")


def parse_affix(value: str | Sequence[str | SpecialKey] | None) -> Affix:
    """Read an affix from settings: "none", "enter", "tab", "tab,enter" or a list of those."""
    if value is None:
        return ()
    words: list[str | SpecialKey]
    if isinstance(value, str):
        words = [w for w in _AFFIX_SPLIT.split(value.strip().lower()) if w]
    else:
        words = list(value)
    keys: list[SpecialKey] = []
    for word in words:
        if isinstance(word, SpecialKey):
            keys.append(word)
        elif word.strip().lower() in ("", "none"):
            continue
        else:
            try:
                keys.append(SpecialKey(word.strip().lower()))
            except ValueError:
                names = ", ".join(["none", *(k.value for k in SpecialKey)])
                raise ValueError(f"unknown key {word!r} in prefix/suffix; use {names}") from None
    return tuple(keys)


def format_affix(affix: Affix) -> str:
    """The settings spelling of an affix ("none", "enter", "tab,enter")."""
    return ",".join(k.value for k in affix) or "none"


@dataclass(frozen=True)
class WindowInfo:
    """The window that has keyboard focus, as far as the platform tells."""

    title: str
    wm_class: str
    pid: int | None = None


class KeyboardError(Exception):
    """Base of the keyboard-wedge errors."""


class KeyboardUnavailable(KeyboardError):
    """This backend cannot inject keys here; ``reason`` says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefusedCharacters(KeyboardError):
    """The text holds characters that must not be typed; ``chars`` lists them (may be empty)."""

    def __init__(self, chars: str, message: str) -> None:
        super().__init__(message)
        self.chars = chars


@runtime_checkable
class KeyboardBackend(Protocol):
    """Injects keystrokes into whatever window has the focus."""

    name: str

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        """Type ``text`` (already checked) as key presses, waiting between keys."""
        ...

    def press(self, key: SpecialKey) -> None:
        """Press and release Enter or Tab."""
        ...

    def focused_window(self) -> WindowInfo | None:
        """The focused top-level window, or None where the platform cannot tell."""
        ...


#: the target window when none is configured: a library system's window (title or class)
DEFAULT_TARGET_WINDOW = r"(?i)図書館|library|opac|蔵書|貸出|circulation"


@dataclass(frozen=True)
class WedgeSettings:
    """Per-terminal keyboard-wedge settings."""

    prefix: Affix = ()
    suffix: Affix = (SpecialKey.ENTER,)
    per_key_delay_s: float = 0.0
    #: regex searched in the focused window's title and class; None: the default pattern
    target_window_pattern: str | None = DEFAULT_TARGET_WINDOW
    #: type into whatever window has the focus (the pattern is not consulted): an explicit
    #: choice, as the number would then reach a chat window or a browser just as well
    any_window: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.per_key_delay_s <= 1.0:
            raise ValueError(f"per-key delay must be 0…1 s, not {self.per_key_delay_s}")
        if self.target_window_pattern is not None:
            try:
                re.compile(self.target_window_pattern)
            except re.error as e:
                raise ValueError(
                    f"target window pattern {self.target_window_pattern!r} is invalid: {e}"
                ) from None


def is_control(ch: str) -> bool:
    """C0/C1 controls, DEL, format characters and line/paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _describe(chars: str) -> str:
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'control')}" for c in chars)


def check_typeable(text: str, allowed: str | re.Pattern[str]) -> None:
    """Raise RefusedCharacters unless ``text`` fully matches ``allowed`` with no controls.

    ``allowed`` is the service's ID pattern (a regex that must match the whole text). It is
    applied with re.ASCII, so ``\\d`` admits only 0-9, never full-width digits.
    """
    if not text:
        raise RefusedCharacters("", "nothing to type: the text is empty")
    controls = "".join(dict.fromkeys(c for c in text if is_control(c)))
    if controls:
        raise RefusedCharacters(
            controls, f"control characters are never typed: {_describe(controls)}"
        )
    try:
        pattern = ascii_pattern(allowed)
    except re.error as e:
        raise RefusedCharacters("", f"the service's ID pattern is invalid: {e}") from None
    if pattern.fullmatch(text):
        return
    bad = "".join(dict.fromkeys(c for c in text if not pattern_admits(pattern, c)))
    if bad:
        raise RefusedCharacters(
            bad,
            f"characters outside the service's ID format {pattern.pattern!r}: {_describe(bad)}",
        )
    raise RefusedCharacters(
        "", f"the text does not have the service's ID format {pattern.pattern!r}"
    )
