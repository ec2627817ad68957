"""Errors that reach a terminal: each carries a :class:`~server.api.schemas.ErrorCode`."""

from __future__ import annotations

from server.api.schemas import ErrorBody, ErrorCode

#: HTTP status of each error code.
STATUS: dict[ErrorCode, int] = {
    ErrorCode.MALFORMED: 400,
    ErrorCode.ENROLLMENT_CODE_INVALID: 403,
    ErrorCode.TERMINAL_UNKNOWN: 401,
    ErrorCode.TERMINAL_SIGNATURE_INVALID: 401,
    ErrorCode.CHALLENGE_UNKNOWN: 404,
    ErrorCode.CHALLENGE_USED: 409,
    ErrorCode.CHALLENGE_EXPIRED: 410,
    ErrorCode.CHALLENGE_WRONG_TERMINAL: 403,
    ErrorCode.CERTIFICATE_MALFORMED: 400,
    ErrorCode.CERTIFICATE_UNTRUSTED: 403,
    ErrorCode.CERTIFICATE_REVOKED: 403,
    ErrorCode.CERTIFICATE_EXPIRED: 403,
    ErrorCode.CERTIFICATE_NOT_YET_VALID: 403,
    ErrorCode.REVOCATION_UNKNOWN: 503,
    ErrorCode.CARD_SIGNATURE_INVALID: 403,
    ErrorCode.NOT_REGISTERED: 404,
    ErrorCode.SERVICE_NOT_LINKED: 404,
    ErrorCode.LABEL_LIMIT_REACHED: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.TERMINAL_MODE_NOT_ALLOWED: 403,
    ErrorCode.CARD_SESSION_INVALID: 401,
    ErrorCode.CARD_SESSION_SPENT: 409,
    ErrorCode.OPERATION_MISMATCH: 403,
    ErrorCode.LEDGER_NOT_FOUND: 404,
    ErrorCode.TRANSFER_ID_CONFLICT: 409,
    ErrorCode.INSUFFICIENT_POINTS: 409,
    ErrorCode.NOT_USABLE_HERE: 403,
    ErrorCode.PENDING_EXPIRED: 410,
    ErrorCode.PENDING_RESOLVED: 409,
    ErrorCode.REFUND_EXCEEDS_PAYMENT: 409,
    ErrorCode.VOUCHER_INVALID: 404,
    ErrorCode.VOUCHER_USED: 409,
    ErrorCode.VOUCHER_EXPIRED: 410,
    ErrorCode.APPROVAL_REFUSED: 403,
    ErrorCode.APPROVAL_SAME_STAFF: 403,
    ErrorCode.APPROVAL_SAME_TERMINAL: 403,
    ErrorCode.STAFF_CREDENTIAL_INVALID: 401,
    ErrorCode.STAFF_WRONG_MUNICIPALITY: 403,
    ErrorCode.GRANT_CAP_EXCEEDED: 403,
    ErrorCode.SUPPORTER_KEY_INVALID: 401,
    ErrorCode.ALREADY_REGISTERED: 409,
    ErrorCode.PROVIDER_KEY_INVALID: 401,
    ErrorCode.LINK_UNCONFIRMED: 403,
    ErrorCode.LINK_UNKNOWN: 404,
    ErrorCode.LINK_CODE_INVALID: 403,
    ErrorCode.LINK_MISMATCH: 409,
    ErrorCode.SERVICE_ID_TAKEN: 409,
    ErrorCode.CERTIFICATE_RETIRED: 403,
    ErrorCode.REBIND_PROOF_REQUIRED: 403,
    ErrorCode.REBIND_OLD_CARD_INVALID: 403,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class PlatformError(Exception):
    """A refusal with a machine-readable code and a message for people."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = STATUS[code] if status is None else status
        #: seconds, for a ``Retry-After`` header (rate limits)
        self.retry_after = retry_after

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, message=self.message)


class OperatorError(Exception):
    """An operator command refused its input; the message says why."""
