"""X11 backend: fake key events through the XTEST extension (python-xlib)."""

from __future__ import annotations

import os
import time
from typing import Any

from drivers.keyboard.base import KeyboardUnavailable, SpecialKey, WindowInfo

try:
    from Xlib import XK, X, Xatom, display, error
    from Xlib.ext import xtest
except ImportError:  # pragma: no cover - exercised where python-xlib is missing
    display = None

_SPECIAL_KEYSYMS = {SpecialKey.ENTER: "Return", SpecialKey.TAB: "Tab"}


def keysym_for_char(ch: str) -> int:
    """The X keysym of a character: Latin-1 keysyms equal the code point, others 0x1000000+."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x01000000 | code


class X11Backend:
    """Types through XTEST into the focused window of an X display."""

    name = "x11"

    def __init__(self, display_name: str | None = None) -> None:
        if display is None:
            raise KeyboardUnavailable("python-xlib is not installed (pip install python-xlib)")
        name = display_name or os.environ.get("DISPLAY")
        if not name:
            raise KeyboardUnavailable("no X display: DISPLAY is not set")
        try:
            self._d: Any = display.Display(name)
        except Exception as e:  # Xlib raises DisplayError, ConnectionClosedError, OSError …
            raise KeyboardUnavailable(f"cannot open X display {name!r}: {e}") from e
        if not self._d.has_extension("XTEST"):
            self._d.close()
            raise KeyboardUnavailable(f"X display {name!r} has no XTEST extension")
        self._shift = self._d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
        self._remapped: dict[int, int] = {}

    def close(self) -> None:
        """Undo keycodes bound to unusual characters and close the display connection."""
        try:
            if self._remapped:
                self._unmap_spares()
        finally:
            self._d.close()

    def _tap(self, keycode: int, shift: bool) -> None:
        if shift:
            xtest.fake_input(self._d, X.KeyPress, self._shift)
        xtest.fake_input(self._d, X.KeyPress, keycode)
        xtest.fake_input(self._d, X.KeyRelease, keycode)
        if shift:
            xtest.fake_input(self._d, X.KeyRelease, self._shift)
        self._d.sync()

    def _caps_lock(self) -> bool:
        mask = self._d.screen().root.query_pointer().mask
        return bool(mask & X.LockMask)

    def _lookup(self, keysym: int) -> tuple[int, bool] | None:
        """A keycode and whether Shift is needed, from the current keyboard mapping."""
        for keycode, index in self._d.keysym_to_keycodes(keysym):
            if index in (0, 1):
                return keycode, index == 1
        return None

    def _spare_keycodes(self) -> list[int]:
        first = self._d.display.info.min_keycode
        count = self._d.display.info.max_keycode - first + 1
        mapping = self._d.get_keyboard_mapping(first, count)
        return [first + i for i, syms in enumerate(mapping) if not any(syms)]

    def _remapped_keycode(self, keysym: int) -> int:
        """Bind the keysym to a spare keycode; the binding stays until close().

        Undoing it right after the key press would race with the receiving client, which
        reads the new mapping only when it handles the MappingNotify event.
        """
        if keysym in self._remapped:
            return self._remapped[keysym]
        spare = [k for k in self._spare_keycodes() if k not in self._remapped.values()]
        if not spare:
            raise KeyboardUnavailable("no free keycode to map an unusual character to")
        keycode = spare[-1]
        per = len(self._d.get_keyboard_mapping(keycode, 1)[0]) or 1
        self._d.change_keyboard_mapping(keycode, [(keysym,) * per])
        self._d.sync()
        self._remapped[keysym] = keycode
        return keycode

    def _unmap_spares(self) -> None:
        for keycode in self._remapped.values():
            per = len(self._d.get_keyboard_mapping(keycode, 1)[0]) or 1
            self._d.change_keyboard_mapping(keycode, [(0,) * per])
        self._remapped.clear()
        self._d.sync()

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        """Type each character with the keycode (and Shift) of the current keyboard map."""
        caps = self._caps_lock()
        for i, ch in enumerate(text):
            if i and per_key_delay_s:
                time.sleep(per_key_delay_s)
            keysym = keysym_for_char(ch)
            found = self._lookup(keysym)
            if found is None:
                self._tap(self._remapped_keycode(keysym), False)
                continue
            keycode, shift = found
            if caps and ch.isalpha():
                shift = not shift
            self._tap(keycode, shift)

    def press(self, key: SpecialKey) -> None:
        """Press and release Return or Tab."""
        keycode = self._d.keysym_to_keycode(XK.string_to_keysym(_SPECIAL_KEYSYMS[key]))
        if not keycode:
            raise KeyboardUnavailable(f"the keyboard map has no {_SPECIAL_KEYSYMS[key]} key")
        self._tap(keycode, False)

    def _prop(self, window: Any, name: str, type_: int = X.AnyPropertyType) -> Any:
        atom = self._d.intern_atom(name, only_if_exists=True)
        if not atom:
            return None
        try:
            reply = window.get_full_property(atom, type_)
        except error.XError:
            return None
        return None if reply is None else reply.value

    def _active_window(self) -> Any:
        root = self._d.screen().root
        active = self._prop(root, "_NET_ACTIVE_WINDOW", Xatom.WINDOW)
        if active is not None and len(active) and active[0]:
            return self._d.create_resource_object("window", active[0])
        focus = self._d.get_input_focus().focus
        if isinstance(focus, int):  # X.NONE or PointerRoot
            return None
        return focus

    def focused_window(self) -> WindowInfo | None:
        """The top-level window with the focus: _NET_ACTIVE_WINDOW, else the input focus."""
        try:
            window = self._active_window()
            root = self._d.screen().root
            while window is not None and window.id != root.id:
                wm_class = window.get_wm_class()
                title = self._prop(window, "_NET_WM_NAME") or window.get_wm_name()
                if wm_class or title:
                    pid = self._prop(window, "_NET_WM_PID", Xatom.CARDINAL)
                    return WindowInfo(
                        title=_text(title),
                        wm_class=".".join(wm_class) if wm_class else "",
                        pid=int(pid[0]) if pid is not None and len(pid) else None,
                    )
                window = window.query_tree().parent
        except error.XError:
            return None
        return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
