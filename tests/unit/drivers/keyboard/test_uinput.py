"""uinput: input_event encoding, key sequences and the permission message."""

from __future__ import annotations

import struct

import pytest

from drivers.keyboard.base import KeyboardUnavailable, RefusedCharacters, SpecialKey
from drivers.keyboard.uinput import (
    EV_KEY,
    EV_SYN,
    KEY_ENTER,
    KEY_LEFTSHIFT,
    UinputBackend,
    _RawSink,
    encode_event,
    text_events,
    user_dev_struct,
)

SYN = (EV_SYN, 0, 0)


def test_input_event_layout() -> None:
    raw = encode_event(EV_KEY, 30, 1, seconds=12.5)
    long_size = struct.calcsize("l")
    assert len(raw) == 2 * long_size + 8  # 24 bytes on 64-bit Linux
    sec, usec, type_, code, value = struct.unpack("@llHHi", raw)
    assert (sec, usec, type_, code, value) == (12, 500000, EV_KEY, 30, 1)


def test_user_dev_struct_size() -> None:
    assert len(user_dev_struct()) == 80 + 8 + 4 + 4 * 64 * 4  # 1116 bytes


def test_digit_is_press_release_with_syn() -> None:
    assert text_events("1") == [[(EV_KEY, 2, 1), SYN, (EV_KEY, 2, 0), SYN]]
    assert text_events("0")[0][0] == (EV_KEY, 11, 1)


def test_capital_letter_holds_shift() -> None:
    assert text_events("A") == [
        [(EV_KEY, KEY_LEFTSHIFT, 1), SYN, (EV_KEY, 30, 1), SYN, (EV_KEY, 30, 0), SYN,
         (EV_KEY, KEY_LEFTSHIFT, 0), SYN]
    ]  # fmt: skip
    assert text_events("-")[0][0] == (EV_KEY, 12, 1)


def test_unmapped_characters_are_refused() -> None:
    with pytest.raises(RefusedCharacters) as e:
        text_events("12５")
    assert e.value.chars == "５"


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[tuple[int, int, int]] = []

    def write(self, type_: int, code: int, value: int) -> None:
        self.events.append((type_, code, value))

    def close(self) -> None:
        pass


def test_backend_writes_events() -> None:
    sink = RecordingSink()
    backend = UinputBackend(sink)
    backend.type_text("12", per_key_delay_s=0.001)
    backend.press(SpecialKey.ENTER)
    keys = [(c, v) for t, c, v in sink.events if t == EV_KEY]
    assert keys == [(2, 1), (2, 0), (3, 1), (3, 0), (KEY_ENTER, 1), (KEY_ENTER, 0)]
    assert backend.focused_window() is None


def test_missing_device_explains_the_permissions() -> None:
    with pytest.raises(KeyboardUnavailable, match="'input' group") as e:
        _RawSink("/nonexistent/uinput")
    assert "udev rule" in e.value.reason and "modprobe uinput" in e.value.reason
