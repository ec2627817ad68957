"""The points operations a counter offers: light, for the idle screen's buttons."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """One operation at the counter (a button on the idle screen)."""

    PAY = "pay"
    REDEEM = "redeem"
    REFUND = "refund"
    GRANT = "grant"
    APPROVALS = "approvals"
    VOUCHER = "voucher"
    REGISTER = "register"
    CONFIRM_LINK = "confirm_link"


#: the platform's terminal modes (``TerminalMode`` values) → the operations they offer
OPERATIONS: dict[str, tuple[Mode, ...]] = {
    "shop": (Mode.PAY, Mode.REDEEM, Mode.REFUND),
    "grant": (Mode.GRANT, Mode.APPROVALS),
    "voucher": (Mode.VOUCHER,),
    "link_confirm": (Mode.CONFIRM_LINK,),
}
