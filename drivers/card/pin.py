"""The JPKI user-authentication PIN: its format, and whether a try may be spent on it.

The counter, its command line and its PIN pad all ask these two questions; the answers
live here, next to the card that decides them (JPKI.md: 4 digits, 3 tries, shared with
every other service the holder uses, unlocked only at a municipal office).
"""

from __future__ import annotations

from enum import StrEnum

#: the user-authentication PIN is exactly this many ASCII digits
PIN_LENGTH = 4


def valid_pin(pin: object) -> bool:
    """Whether ``pin`` has the PIN's format (4 ASCII digits); nothing else reaches a card."""
    return (
        isinstance(pin, str) and len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()
    )


class PinGate(StrEnum):
    """What the PIN counter allows before a PIN is sent."""

    #: no try left: the PIN is locked
    LOCKED = "locked"
    #: one try left and the holder has not agreed to use it: ask first
    CONFIRM = "confirm"
    #: a try may be spent
    OPEN = "open"


def pin_gate(tries_left: int, *, last_try_allowed: bool) -> PinGate:
    """The last-try rule: a PIN may use the card's last try only with the holder's consent."""
    if tries_left <= 0:
        return PinGate.LOCKED
    if tries_left == 1 and not last_try_allowed:
        return PinGate.CONFIRM
    return PinGate.OPEN
