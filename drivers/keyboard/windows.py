"""Windows backend: SendInput with KEYEVENTF_UNICODE, so an active IME cannot alter digits.

Not yet tried on real machines (tests check the INPUT structures only).
KEYEVENTF_UNICODE delivers each character as a VK_PACKET with its UTF-16 code unit: the
Japanese IME does not compose it into kana. Windows refuses to inject into windows of a
higher integrity level (UIPI): run the counter at the same level as the library system.
"""

from __future__ import annotations

import ctypes
import sys
import time
from typing import Any, NamedTuple

from drivers.keyboard.base import KeyboardUnavailable, SpecialKey, WindowInfo

INPUT_KEYBOARD = 1
KEYEVENTF_KEYUP = 0x0002
KEYEVENTF_UNICODE = 0x0004
VK_RETURN, VK_TAB = 0x0D, 0x09
SPECIAL_VK = {SpecialKey.ENTER: VK_RETURN, SpecialKey.TAB: VK_TAB}

DWORD = ctypes.c_uint32
WORD = ctypes.c_uint16
LONG = ctypes.c_int32
ULONG_PTR = ctypes.c_size_t


class MOUSEINPUT(ctypes.Structure):
    """winuser.h MOUSEINPUT (only here to give the union its real size)."""

    _fields_ = (
        ("dx", LONG),
        ("dy", LONG),
        ("mouseData", DWORD),
        ("dwFlags", DWORD),
        ("time", DWORD),
        ("dwExtraInfo", ULONG_PTR),
    )


class KEYBDINPUT(ctypes.Structure):
    """winuser.h KEYBDINPUT."""

    _fields_ = (
        ("wVk", WORD),
        ("wScan", WORD),
        ("dwFlags", DWORD),
        ("time", DWORD),
        ("dwExtraInfo", ULONG_PTR),
    )


class HARDWAREINPUT(ctypes.Structure):
    """winuser.h HARDWAREINPUT."""

    _fields_ = (("uMsg", DWORD), ("wParamL", WORD), ("wParamH", WORD))


class _INPUTUNION(ctypes.Union):
    _fields_ = (("mi", MOUSEINPUT), ("ki", KEYBDINPUT), ("hi", HARDWAREINPUT))


class INPUT(ctypes.Structure):
    """winuser.h INPUT (40 bytes on 64-bit Windows, 28 on 32-bit)."""

    _anonymous_ = ("u",)
    _fields_ = (("type", DWORD), ("u", _INPUTUNION))


class KeyInput(NamedTuple):
    """One keyboard INPUT: virtual key, scan code (the UTF-16 unit with UNICODE), flags."""

    vk: int
    scan: int
    flags: int


def utf16_units(text: str) -> list[int]:
    """UTF-16 code units of ``text`` (surrogate pairs outside the BMP)."""
    data = text.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def unicode_key_inputs(text: str) -> list[KeyInput]:
    """Down and up KEYEVENTF_UNICODE inputs for every UTF-16 unit of ``text``."""
    out: list[KeyInput] = []
    for unit in utf16_units(text):
        out.append(KeyInput(0, unit, KEYEVENTF_UNICODE))
        out.append(KeyInput(0, unit, KEYEVENTF_UNICODE | KEYEVENTF_KEYUP))
    return out


def special_key_inputs(key: SpecialKey) -> list[KeyInput]:
    """Down and up inputs of a virtual key (Enter, Tab)."""
    vk = SPECIAL_VK[key]
    return [KeyInput(vk, 0, 0), KeyInput(vk, 0, KEYEVENTF_KEYUP)]


def build_input_array(keys: list[KeyInput]) -> Any:
    """A ctypes ``INPUT[n]`` array ready for SendInput."""
    array = (INPUT * len(keys))()
    for slot, key in zip(array, keys, strict=True):
        slot.type = INPUT_KEYBOARD
        slot.ki = KEYBDINPUT(key.vk, key.scan, key.flags, 0, 0)
    return array


class WindowsBackend:
    """Types through user32.SendInput."""

    name = "windows"

    def __init__(self, user32: Any = None) -> None:
        if user32 is None:
            if sys.platform != "win32":
                raise KeyboardUnavailable("the Windows keyboard backend runs only on Windows")
            user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        self._user32 = user32

    def _send(self, keys: list[KeyInput]) -> None:
        array = build_input_array(keys)
        sent = self._user32.SendInput(len(keys), array, ctypes.sizeof(INPUT))
        if sent != len(keys):
            raise KeyboardUnavailable(
                f"SendInput injected {sent} of {len(keys)} events (blocked by UIPI: is the "
                "target window running as administrator?)"
            )

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        """Type each character as a KEYEVENTF_UNICODE down/up pair."""
        if not per_key_delay_s:
            self._send(unicode_key_inputs(text))
            return
        for i, ch in enumerate(text):
            if i:
                time.sleep(per_key_delay_s)
            self._send(unicode_key_inputs(ch))

    def press(self, key: SpecialKey) -> None:
        """Press and release Enter or Tab."""
        self._send(special_key_inputs(key))

    def focused_window(self) -> WindowInfo | None:
        """The foreground window's title, class name and process ID."""
        hwnd = self._user32.GetForegroundWindow()
        if not hwnd:
            return None
        title = ctypes.create_unicode_buffer(512)
        self._user32.GetWindowTextW(hwnd, title, len(title))
        cls = ctypes.create_unicode_buffer(256)
        self._user32.GetClassNameW(hwnd, cls, len(cls))
        pid = ctypes.c_uint32(0)
        self._user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        return WindowInfo(title=title.value, wm_class=cls.value, pid=pid.value or None)
