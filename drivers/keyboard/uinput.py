"""Linux uinput backend: a virtual keyboard device, for Wayland sessions and the console.

Not yet tried on real machines (tests check the event encoding only).

Permissions: the process needs write access to /dev/uinput. Either add the kiosk user to
the group that owns it (often ``input``: ``sudo usermod -aG input USER``, then log in again)
or install a udev rule such as
``KERNEL=="uinput", SUBSYSTEM=="misc", GROUP="input", MODE="0660", OPTIONS+="static_node=uinput"``
in /etc/udev/rules.d/60-mykey-uinput.rules, and load the module (``modprobe uinput``).

uinput sends key *codes*; the compositor's keyboard layout turns them into characters. The
table below is the US layout; digits and letters are the same on the Japanese (jp106)
layout, but symbols may differ, so keep the service's ID format to digits and letters.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
from typing import Protocol

from drivers.keyboard.base import KeyboardUnavailable, RefusedCharacters, SpecialKey, WindowInfo

UINPUT_PATH = "/dev/uinput"
EV_SYN, EV_KEY = 0x00, 0x01
SYN_REPORT = 0
KEY_LEFTSHIFT = 42
KEY_ENTER, KEY_TAB = 28, 15
UI_SET_EVBIT = 0x40045564  # _IOW('U', 100, int)
UI_SET_KEYBIT = 0x40045565  # _IOW('U', 101, int)
UI_DEV_CREATE = 0x5501  # _IO('U', 1)
UI_DEV_DESTROY = 0x5502  # _IO('U', 2)
BUS_VIRTUAL = 0x06
DEVICE_NAME = "MyKey Counter keyboard wedge"

_ROWS = {
    2: "1234567890-=",
    16: "qwertyuiop[]",
    30: "asdfghjkl;'`",
    44: "zxcvbnm,./",
}
_SHIFTED_ROWS = {
    2: "!@#$%^&*()_+",
    16: "QWERTYUIOP{}",
    30: 'ASDFGHJKL:"~',
    44: "ZXCVBNM<>?",
}
_EXTRA = {" ": (57, False), "\\": (43, False), "|": (43, True)}


def _build_keymap() -> dict[str, tuple[int, bool]]:
    keymap = dict(_EXTRA)
    for rows, shift in ((_ROWS, False), (_SHIFTED_ROWS, True)):
        for first, chars in rows.items():
            for i, ch in enumerate(chars):
                keymap[ch] = (first + i, shift)
    return keymap


US_KEYMAP = _build_keymap()
SPECIAL_CODES = {SpecialKey.ENTER: KEY_ENTER, SpecialKey.TAB: KEY_TAB}
#: every key code the virtual keyboard declares
DEVICE_KEYS = sorted({c for c, _ in US_KEYMAP.values()} | {KEY_LEFTSHIFT, *SPECIAL_CODES.values()})


def encode_event(type_: int, code: int, value: int, seconds: float = 0.0) -> bytes:
    """One ``struct input_event`` (timeval, __u16 type, __u16 code, __s32 value), native."""
    sec = int(seconds)
    usec = int((seconds - sec) * 1_000_000)
    return struct.pack("@llHHi", sec, usec, type_, code, value)


def key_events(code: int, shift: bool) -> list[tuple[int, int, int]]:
    """The (type, code, value) events of one key tap, each press/release followed by SYN."""
    syn = (EV_SYN, SYN_REPORT, 0)
    events: list[tuple[int, int, int]] = []
    if shift:
        events += [(EV_KEY, KEY_LEFTSHIFT, 1), syn]
    events += [(EV_KEY, code, 1), syn, (EV_KEY, code, 0), syn]
    if shift:
        events += [(EV_KEY, KEY_LEFTSHIFT, 0), syn]
    return events


def text_events(text: str) -> list[list[tuple[int, int, int]]]:
    """Events per character of ``text`` on the US layout; RefusedCharacters if unmapped."""
    missing = "".join(dict.fromkeys(c for c in text if c not in US_KEYMAP))
    if missing:
        raise RefusedCharacters(missing, f"uinput cannot type {missing!r} (no key on the layout)")
    return [key_events(*US_KEYMAP[ch]) for ch in text]


def user_dev_struct(name: str = DEVICE_NAME) -> bytes:
    """The legacy ``struct uinput_user_dev`` (name[80], input_id, ff_effects_max, abs*[64])."""
    raw = name.encode()[:79]
    return struct.pack("@80sHHHHI", raw, BUS_VIRTUAL, 0x1209, 0x4D4B, 1, 0) + bytes(4 * 64 * 4)


class _EventSink(Protocol):
    def write(self, type_: int, code: int, value: int) -> None: ...
    def close(self) -> None: ...


class _RawSink:
    """Writes input_event structs to /dev/uinput directly (no python-evdev)."""

    def __init__(self, path: str = UINPUT_PATH) -> None:
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            raise KeyboardUnavailable(_permission_help(e)) from e
        try:
            fcntl.ioctl(self._fd, UI_SET_EVBIT, EV_KEY)
            for code in DEVICE_KEYS:
                fcntl.ioctl(self._fd, UI_SET_KEYBIT, code)
            os.write(self._fd, user_dev_struct())
            fcntl.ioctl(self._fd, UI_DEV_CREATE)
        except OSError as e:
            os.close(self._fd)
            raise KeyboardUnavailable(f"cannot create a uinput keyboard: {e}") from e
        time.sleep(0.2)  # let the compositor pick up the new device before the first key

    def write(self, type_: int, code: int, value: int) -> None:
        os.write(self._fd, encode_event(type_, code, value))

    def close(self) -> None:
        try:
            fcntl.ioctl(self._fd, UI_DEV_DESTROY)
        finally:
            os.close(self._fd)


class _EvdevSink:
    """The same through python-evdev's UInput."""

    def __init__(self) -> None:
        from evdev import UInput, ecodes  # type: ignore[import-not-found,unused-ignore]

        try:
            self._ui = UInput({ecodes.EV_KEY: DEVICE_KEYS}, name=DEVICE_NAME)
        except OSError as e:
            raise KeyboardUnavailable(_permission_help(e)) from e
        time.sleep(0.2)

    def write(self, type_: int, code: int, value: int) -> None:
        self._ui.write(type_, code, value)

    def close(self) -> None:
        self._ui.close()


def _permission_help(e: OSError) -> str:
    return (
        f"cannot open {UINPUT_PATH} ({e.strerror}). Load the module (modprobe uinput) and give "
        "this user write access: add it to the 'input' group (usermod -aG input USER) with a "
        'udev rule KERNEL=="uinput", GROUP="input", MODE="0660", then log in again.'
    )


class UinputBackend:
    """Types through a virtual uinput keyboard; cannot see which window has the focus."""

    name = "uinput"

    def __init__(self, sink: _EventSink | None = None) -> None:
        if sink is None:
            try:
                import evdev  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
            except ImportError:
                sink = _RawSink()
            else:
                sink = _EvdevSink()
        self._sink = sink

    def close(self) -> None:
        """Remove the virtual device."""
        self._sink.close()

    def _send(self, events: list[tuple[int, int, int]]) -> None:
        for type_, code, value in events:
            self._sink.write(type_, code, value)

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        """Type ``text`` as US-layout key codes."""
        for i, events in enumerate(text_events(text)):
            if i and per_key_delay_s:
                time.sleep(per_key_delay_s)
            self._send(events)

    def press(self, key: SpecialKey) -> None:
        """Press and release Enter or Tab."""
        self._send(key_events(SPECIAL_CODES[key], False))

    def focused_window(self) -> WindowInfo | None:
        """Unknown: uinput is below the window system (a target pattern cannot be honoured)."""
        return None
