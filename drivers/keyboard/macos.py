"""macOS backend: CGEvent keyboard events carrying the character as a Unicode string.

Not yet tried on real machines (tests check the call sequence against a fake).
Posting events needs the Accessibility permission: System Settings → Privacy & Security →
Accessibility, allow the counter (or the Terminal/Python that runs it), then restart it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import time
from typing import Any

from drivers.keyboard.base import KeyboardUnavailable, SpecialKey, WindowInfo
from drivers.keyboard.windows import utf16_units

kCGEventSourceStateHIDSystemState = 1  # Apple's names
kCGHIDEventTap = 0
KVK_ANSI_A = 0  # any key code: the Unicode string replaces the character it would give
SPECIAL_KEYCODES = {SpecialKey.ENTER: 36, SpecialKey.TAB: 48}  # kVK_Return, kVK_Tab

ACCESSIBILITY_HELP = (
    "macOS does not allow this program to send key events: grant it Accessibility access "
    "(System Settings → Privacy & Security → Accessibility), then restart the counter."
)


def load_quartz() -> Any:
    """ApplicationServices through ctypes, with argument and result types declared."""
    path = ctypes.util.find_library("ApplicationServices")
    cf_path = ctypes.util.find_library("CoreFoundation")
    if sys.platform != "darwin" or not path or not cf_path:
        raise KeyboardUnavailable("the macOS keyboard backend runs only on macOS")
    lib = ctypes.CDLL(path)
    cf = ctypes.CDLL(cf_path)
    p = ctypes.c_void_p
    lib.AXIsProcessTrusted.restype = ctypes.c_bool
    lib.CGEventSourceCreate.argtypes = [ctypes.c_int32]
    lib.CGEventSourceCreate.restype = p
    lib.CGEventCreateKeyboardEvent.argtypes = [p, ctypes.c_uint16, ctypes.c_bool]
    lib.CGEventCreateKeyboardEvent.restype = p
    lib.CGEventKeyboardSetUnicodeString.argtypes = [p, ctypes.c_ulong, ctypes.c_void_p]
    lib.CGEventKeyboardSetUnicodeString.restype = None
    lib.CGEventPost.argtypes = [ctypes.c_uint32, p]
    lib.CGEventPost.restype = None
    cf.CFRelease.argtypes = [p]
    cf.CFRelease.restype = None
    lib.CFRelease = cf.CFRelease
    return lib


class MacOSBackend:
    """Types through CGEventPost; cannot name the focused window without pyobjc."""

    name = "macos"

    def __init__(self, quartz: Any = None) -> None:
        self._q = quartz if quartz is not None else load_quartz()
        if not self._q.AXIsProcessTrusted():
            raise KeyboardUnavailable(ACCESSIBILITY_HELP)
        self._source = self._q.CGEventSourceCreate(kCGEventSourceStateHIDSystemState)

    def _post_key(self, keycode: int, units: list[int]) -> None:
        for down in (True, False):
            event = self._q.CGEventCreateKeyboardEvent(self._source, keycode, down)
            if not event:
                raise KeyboardUnavailable(ACCESSIBILITY_HELP)
            try:
                if units:
                    buf = (ctypes.c_uint16 * len(units))(*units)
                    self._q.CGEventKeyboardSetUnicodeString(event, len(units), buf)
                self._q.CGEventPost(kCGHIDEventTap, event)
            finally:
                self._q.CFRelease(event)

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        """Post a key down/up per character, with the character as its Unicode string."""
        for i, ch in enumerate(text):
            if i and per_key_delay_s:
                time.sleep(per_key_delay_s)
            self._post_key(KVK_ANSI_A, utf16_units(ch))

    def press(self, key: SpecialKey) -> None:
        """Press and release Return or Tab."""
        self._post_key(SPECIAL_KEYCODES[key], [])

    def focused_window(self) -> WindowInfo | None:
        """Unknown here (NSWorkspace needs pyobjc); a target window pattern cannot be used."""
        return None
