"""The PIN's format and the last-try rule (drivers/card/pin.py)."""

from __future__ import annotations

import pytest

from drivers.card.pin import PIN_LENGTH, PinGate, pin_gate, valid_pin


def test_the_pin_is_four_ascii_digits() -> None:
    assert PIN_LENGTH == 4
    assert valid_pin("0000") and valid_pin("4821")


@pytest.mark.parametrize(
    "pin", ["123", "12345", "abcd", "", "１２３４", "12 4", "٤٨٢١", None, 1234]
)
def test_anything_else_is_not_a_pin(pin: object) -> None:
    assert not valid_pin(pin)


@pytest.mark.parametrize(
    ("tries", "allowed", "gate"),
    [
        (3, False, PinGate.OPEN),
        (2, False, PinGate.OPEN),
        (1, False, PinGate.CONFIRM),
        (1, True, PinGate.OPEN),
        (0, True, PinGate.LOCKED),
        (0, False, PinGate.LOCKED),
        (-1, True, PinGate.LOCKED),
    ],
)
def test_the_last_try_needs_consent(tries: int, allowed: bool, gate: PinGate) -> None:
    assert pin_gate(tries, last_try_allowed=allowed) is gate
