"""Message ids of the points screens: modes, grant reasons, steps (Japanese first)."""

from __future__ import annotations

from app.i18n import N_
from app.points.mode import Mode

#: the idle screen's button and the card screen's title of every operation
MODE_BUTTONS: dict[Mode, str] = {
    Mode.PAY: N_("points.mode.pay"),
    Mode.REDEEM: N_("points.mode.redeem"),
    Mode.REFUND: N_("points.mode.refund"),
    Mode.GRANT: N_("points.mode.grant"),
    Mode.APPROVALS: N_("points.mode.approvals"),
    Mode.VOUCHER: N_("points.mode.voucher"),
    Mode.REGISTER: N_("points.mode.register"),
    Mode.CONFIRM_LINK: N_("points.mode.confirm_link"),
}

#: ``GrantReason`` values → their labels (ボランティア, 健康づくり …)
GRANT_REASONS: dict[str, str] = {
    "volunteering": N_("points.reason.volunteering"),
    "health": N_("points.reason.health"),
    "child_care": N_("points.reason.child_care"),
    "environment": N_("points.reason.environment"),
    "community": N_("points.reason.community"),
    "disaster_support": N_("points.reason.disaster_support"),
    "other": N_("points.reason.other"),
}


def points_text(amount: int) -> str:
    """``1,234 pt``."""
    return f"{amount:,} pt"
