"""Why a points operation was refused: one kind per platform error code, one message each.

As :class:`app.ports.ErrorKind` does for taps, :class:`PointsErrorKind` names every way a
points request can end without its result; :data:`ERROR_CODES` maps the platform's
``ErrorCode`` values to it and :data:`MESSAGES` to the catalogue's texts.
"""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


class PointsErrorKind(StrEnum):
    """Every way a points request can be refused, one message each."""

    INSUFFICIENT_POINTS = "insufficient_points"
    NOT_USABLE_HERE = "not_usable_here"
    HOLD_EXPIRED = "hold_expired"
    ALREADY_RESOLVED = "already_resolved"
    REFUND_TOO_LARGE = "refund_too_large"
    VOUCHER_INVALID = "voucher_invalid"
    VOUCHER_USED = "voucher_used"
    VOUCHER_EXPIRED = "voucher_expired"
    APPROVAL_REFUSED = "approval_refused"
    APPROVAL_SAME_STAFF = "approval_same_staff"
    APPROVAL_SAME_TERMINAL = "approval_same_terminal"
    STAFF_CREDENTIAL_INVALID = "staff_credential_invalid"
    STAFF_WRONG_MUNICIPALITY = "staff_wrong_municipality"
    GRANT_CAP_EXCEEDED = "grant_cap_exceeded"
    SESSION_EXPIRED = "session_expired"
    SESSION_SPENT = "session_spent"
    OPERATION_MISMATCH = "operation_mismatch"
    MODE_NOT_ALLOWED = "mode_not_allowed"
    NOT_FOUND = "not_found"
    ID_CONFLICT = "id_conflict"
    ALREADY_REGISTERED = "already_registered"
    OLD_CARD_REFUSED = "old_card_refused"
    REBIND_PROOF_REQUIRED = "rebind_proof_required"
    REFUSED = "refused"


#: the platform's error codes (``server.api.schemas.ErrorCode`` values) → the kind shown;
#: any other code is :attr:`PointsErrorKind.REFUSED`
ERROR_CODES: dict[str, PointsErrorKind] = {
    "insufficient_points": PointsErrorKind.INSUFFICIENT_POINTS,
    "not_usable_here": PointsErrorKind.NOT_USABLE_HERE,
    "pending_expired": PointsErrorKind.HOLD_EXPIRED,
    "pending_resolved": PointsErrorKind.ALREADY_RESOLVED,
    "refund_exceeds_payment": PointsErrorKind.REFUND_TOO_LARGE,
    "voucher_invalid": PointsErrorKind.VOUCHER_INVALID,
    "voucher_used": PointsErrorKind.VOUCHER_USED,
    "voucher_expired": PointsErrorKind.VOUCHER_EXPIRED,
    "approval_refused": PointsErrorKind.APPROVAL_REFUSED,
    "approval_same_staff": PointsErrorKind.APPROVAL_SAME_STAFF,
    "approval_same_terminal": PointsErrorKind.APPROVAL_SAME_TERMINAL,
    "staff_credential_invalid": PointsErrorKind.STAFF_CREDENTIAL_INVALID,
    "staff_wrong_municipality": PointsErrorKind.STAFF_WRONG_MUNICIPALITY,
    "grant_cap_exceeded": PointsErrorKind.GRANT_CAP_EXCEEDED,
    "card_session_invalid": PointsErrorKind.SESSION_EXPIRED,
    "card_session_spent": PointsErrorKind.SESSION_SPENT,
    "operation_mismatch": PointsErrorKind.OPERATION_MISMATCH,
    "terminal_mode_not_allowed": PointsErrorKind.MODE_NOT_ALLOWED,
    "ledger_not_found": PointsErrorKind.NOT_FOUND,
    "transfer_id_conflict": PointsErrorKind.ID_CONFLICT,
    "already_registered": PointsErrorKind.ALREADY_REGISTERED,
    "rebind_old_card_invalid": PointsErrorKind.OLD_CARD_REFUSED,
    "rebind_proof_required": PointsErrorKind.REBIND_PROOF_REQUIRED,
}

#: the catalogue text of every kind
MESSAGES: dict[PointsErrorKind, str] = {
    PointsErrorKind.INSUFFICIENT_POINTS: N_("points.error.insufficient_points"),
    PointsErrorKind.NOT_USABLE_HERE: N_("points.error.not_usable_here"),
    PointsErrorKind.HOLD_EXPIRED: N_("points.error.hold_expired"),
    PointsErrorKind.ALREADY_RESOLVED: N_("points.error.already_resolved"),
    PointsErrorKind.REFUND_TOO_LARGE: N_("points.error.refund_too_large"),
    PointsErrorKind.VOUCHER_INVALID: N_("points.error.voucher_invalid"),
    PointsErrorKind.VOUCHER_USED: N_("points.error.voucher_used"),
    PointsErrorKind.VOUCHER_EXPIRED: N_("points.error.voucher_expired"),
    PointsErrorKind.APPROVAL_REFUSED: N_("points.error.approval_refused"),
    PointsErrorKind.APPROVAL_SAME_STAFF: N_("points.error.approval_same_staff"),
    PointsErrorKind.APPROVAL_SAME_TERMINAL: N_("points.error.approval_same_terminal"),
    PointsErrorKind.STAFF_CREDENTIAL_INVALID: N_("points.error.staff_credential_invalid"),
    PointsErrorKind.STAFF_WRONG_MUNICIPALITY: N_("points.error.staff_wrong_municipality"),
    PointsErrorKind.GRANT_CAP_EXCEEDED: N_("points.error.grant_cap_exceeded"),
    PointsErrorKind.SESSION_EXPIRED: N_("points.error.session_expired"),
    PointsErrorKind.SESSION_SPENT: N_("points.error.session_spent"),
    PointsErrorKind.OPERATION_MISMATCH: N_("points.error.operation_mismatch"),
    PointsErrorKind.MODE_NOT_ALLOWED: N_("points.error.mode_not_allowed"),
    PointsErrorKind.NOT_FOUND: N_("points.error.not_found"),
    PointsErrorKind.ID_CONFLICT: N_("points.error.id_conflict"),
    PointsErrorKind.ALREADY_REGISTERED: N_("points.error.already_registered"),
    PointsErrorKind.OLD_CARD_REFUSED: N_("points.error.old_card_refused"),
    PointsErrorKind.REBIND_PROOF_REQUIRED: N_("points.error.rebind_proof_required"),
    PointsErrorKind.REFUSED: N_("points.error.refused"),
}


def kind_of(code: str | None) -> PointsErrorKind:
    """The kind for a platform error code (None or unknown: REFUSED)."""
    return ERROR_CODES.get(code or "", PointsErrorKind.REFUSED)
