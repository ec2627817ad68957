"""The SendInput INPUT array, built on any platform."""

from __future__ import annotations

import ctypes
import struct
from typing import Any

import pytest

from drivers.keyboard.base import KeyboardUnavailable, SpecialKey, WindowInfo
from drivers.keyboard.windows import (
    INPUT,
    INPUT_KEYBOARD,
    KEYEVENTF_KEYUP,
    KEYEVENTF_UNICODE,
    VK_RETURN,
    KeyInput,
    WindowsBackend,
    build_input_array,
    special_key_inputs,
    unicode_key_inputs,
    utf16_units,
)

U, UP = KEYEVENTF_UNICODE, KEYEVENTF_KEYUP


def test_input_struct_has_the_windows_size() -> None:
    assert ctypes.sizeof(INPUT) == (40 if struct.calcsize("P") == 8 else 28)


def test_digits_become_unicode_down_up_pairs_without_virtual_keys() -> None:
    assert unicode_key_inputs("07") == [
        KeyInput(0, 0x30, U),
        KeyInput(0, 0x30, U | UP),
        KeyInput(0, 0x37, U),
        KeyInput(0, 0x37, U | UP),
    ]


def test_characters_outside_the_bmp_are_surrogate_pairs() -> None:
    assert utf16_units("A\U0001f600") == [0x41, 0xD83D, 0xDE00]
    assert len(unicode_key_inputs("\U0001f600")) == 4


def test_enter_is_a_virtual_key() -> None:
    assert special_key_inputs(SpecialKey.ENTER) == [
        KeyInput(VK_RETURN, 0, 0),
        KeyInput(VK_RETURN, 0, UP),
    ]


def test_array_fields() -> None:
    array = build_input_array(unicode_key_inputs("5") + special_key_inputs(SpecialKey.TAB))
    assert len(array) == 4
    assert all(item.type == INPUT_KEYBOARD for item in array)
    assert [(i.ki.wVk, i.ki.wScan, i.ki.dwFlags) for i in array] == [
        (0, 0x35, U),
        (0, 0x35, U | UP),
        (0x09, 0, 0),
        (0x09, 0, UP),
    ]
    assert all(i.ki.time == 0 and i.ki.dwExtraInfo == 0 for i in array)


class FakeUser32:
    def __init__(self, accept: bool = True) -> None:
        self.sent: list[list[tuple[int, int, int]]] = []
        self.accept = accept

    def SendInput(self, n: int, array: Any, size: int) -> int:  # noqa: N802 - the Win32 name
        assert size == ctypes.sizeof(INPUT)
        self.sent.append(
            [(array[i].ki.wVk, array[i].ki.wScan, array[i].ki.dwFlags) for i in range(n)]
        )
        return n if self.accept else 0

    def GetForegroundWindow(self) -> int:  # noqa: N802
        return 0


def test_backend_sends_one_batch_or_one_per_key_with_a_delay() -> None:
    user32 = FakeUser32()
    backend = WindowsBackend(user32)
    backend.type_text("12")
    backend.type_text("34", per_key_delay_s=0.001)
    backend.press(SpecialKey.ENTER)
    assert [len(batch) for batch in user32.sent] == [4, 2, 2, 2]
    assert backend.focused_window() is None


def test_blocked_injection_is_reported() -> None:
    with pytest.raises(KeyboardUnavailable, match="UIPI"):
        WindowsBackend(FakeUser32(accept=False)).type_text("1")


def test_refuses_to_start_off_windows() -> None:
    import sys

    if sys.platform == "win32":
        pytest.skip("on Windows the real user32 loads")
    with pytest.raises(KeyboardUnavailable, match="only on Windows"):
        WindowsBackend()
    assert WindowInfo("t", "c").pid is None
