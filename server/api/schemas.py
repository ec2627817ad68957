"""Wire types of the MyKey Platform API, shared with the counter terminal.

This module is the whole contract between ``app`` and ``server``: the counter imports
nothing else from ``server`` (but :mod:`server.text`, the standard-library rules for free
text that it applies).  It holds only pydantic models and constants, no database or
framework code.

Request signing (RFC 9421, HTTP Message Signatures):
every request except ``POST /v1/terminals/enroll`` and ``GET /v1/health`` carries
``Signature-Input`` / ``Signature`` with label :data:`SIGNATURE_LABEL`, algorithm
``ed25519``, ``keyid`` = the terminal id, ``created`` and ``nonce`` parameters, covering
``@method``, ``@target-uri`` and, when there is a body, ``content-digest`` (sha-256).

Card proof: the card signs, with the user-authentication key, the DigestInfo of
``SHA-256(challenge)`` where ``challenge`` is the raw bytes of
:attr:`ChallengeResponse.challenge` (base64 on the wire).  PKCS#1 v1.5, RSA-2048.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from server.api.operations import CardOperation as CardOperation
from server.api.operations import GrantReason as GrantReason
from server.api.operations import OperationKind as OperationKind
from server.api.operations import derived_from as derived_from
from server.text import clean

API_PREFIX = "/v1"
SIGNATURE_LABEL = "mykey"
SIGNATURE_MAX_AGE_S = 300
DEFAULT_PORT = 8421


class Symbology(StrEnum):
    """Barcode symbologies a service can ask for."""

    NW7 = "nw7"
    CODE39 = "code39"
    CODE128 = "code128"
    QR = "qr"


class CheckDigit(StrEnum):
    """NW-7 (Codabar) check-digit schemes used by Japanese libraries.

    - ``mod10``: modulus 10, weights 3,1,3,1… from the rightmost digit.
    - ``mod11``: modulus 11, weights 2..7 cyclic from the rightmost digit; 10 and 11 → 0.
    - ``mod16``: modulus 16 over every character including start/stop (the usual NW-7 check).
    - ``7dr``: the number modulo 7 (セブンチェック DR).
    - ``7dsr``: 7 minus the number modulo 7 (セブンチェック DSR).
    """

    NONE = "none"
    MOD10 = "mod10"
    MOD11 = "mod11"
    MOD16 = "mod16"
    SEVEN_DR = "7dr"
    SEVEN_DSR = "7dsr"


class BarcodeSpec(BaseModel):
    """How a service's ID is printed as a barcode, and which IDs are well-formed."""

    symbology: Symbology
    #: regular expression (fullmatch) that every service ID of this service satisfies
    pattern: str = r"[0-9A-Z\-]{1,32}"
    nw7_start: str = Field(default="A", pattern="^[ABCD]$")
    nw7_stop: str = Field(default="A", pattern="^[ABCD]$")
    check_digit: CheckDigit = CheckDigit.NONE


class ServiceInfo(BaseModel):
    """A service (library, shop card …) as a terminal sees it."""

    name: str
    display_name: str
    provider: str
    barcode: BarcodeSpec


class ErrorCode(StrEnum):
    """Machine-readable reasons in every error body; the counter maps each to a screen."""

    MALFORMED = "malformed"
    ENROLLMENT_CODE_INVALID = "enrollment_code_invalid"
    TERMINAL_UNKNOWN = "terminal_unknown"
    TERMINAL_SIGNATURE_INVALID = "terminal_signature_invalid"
    CHALLENGE_UNKNOWN = "challenge_unknown"
    CHALLENGE_USED = "challenge_used"
    CHALLENGE_EXPIRED = "challenge_expired"
    CHALLENGE_WRONG_TERMINAL = "challenge_wrong_terminal"
    CERTIFICATE_MALFORMED = "certificate_malformed"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    #: no fresh CRL and no good OCSP answer for the certificate's CA: refused until known
    REVOCATION_UNKNOWN = "revocation_unknown"
    CARD_SIGNATURE_INVALID = "card_signature_invalid"
    NOT_REGISTERED = "not_registered"
    SERVICE_NOT_LINKED = "service_not_linked"
    LABEL_LIMIT_REACHED = "label_limit_reached"
    RATE_LIMITED = "rate_limited"
    # the points ledger
    TERMINAL_MODE_NOT_ALLOWED = "terminal_mode_not_allowed"
    CARD_SESSION_INVALID = "card_session_invalid"
    #: the card session's one operation was done already: tap the card again
    CARD_SESSION_SPENT = "card_session_spent"
    #: the request is not the operation the card signed for (kind, points, place …)
    OPERATION_MISMATCH = "operation_mismatch"
    LEDGER_NOT_FOUND = "ledger_not_found"
    TRANSFER_ID_CONFLICT = "transfer_id_conflict"
    INSUFFICIENT_POINTS = "insufficient_points"
    NOT_USABLE_HERE = "not_usable_here"
    PENDING_EXPIRED = "pending_expired"
    PENDING_RESOLVED = "pending_resolved"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    VOUCHER_INVALID = "voucher_invalid"
    VOUCHER_USED = "voucher_used"
    VOUCHER_EXPIRED = "voucher_expired"
    APPROVAL_REFUSED = "approval_refused"
    #: the approver is the staff account that asked for the grant
    APPROVAL_SAME_STAFF = "approval_same_staff"
    #: the approval comes from the terminal the grant was made at
    APPROVAL_SAME_TERMINAL = "approval_same_terminal"
    #: one answer for every failed staff credential check (unknown, wrong, replayed,
    #: disabled, locked)
    STAFF_CREDENTIAL_INVALID = "staff_credential_invalid"
    #: the staff account works for another municipality than the terminal's
    STAFF_WRONG_MUNICIPALITY = "staff_wrong_municipality"
    #: the grant would pass the municipality's daily cap per holder or per terminal
    GRANT_CAP_EXCEEDED = "grant_cap_exceeded"
    SUPPORTER_KEY_INVALID = "supporter_key_invalid"
    ALREADY_REGISTERED = "already_registered"
    PROVIDER_KEY_INVALID = "provider_key_invalid"
    # service links the provider confirms
    LINK_UNCONFIRMED = "link_unconfirmed"
    LINK_UNKNOWN = "link_unknown"
    LINK_CODE_INVALID = "link_code_invalid"
    LINK_MISMATCH = "link_mismatch"
    SERVICE_ID_TAKEN = "service_id_taken"
    # card renewal
    CERTIFICATE_RETIRED = "certificate_retired"
    REBIND_PROOF_REQUIRED = "rebind_proof_required"
    REBIND_OLD_CARD_INVALID = "rebind_old_card_invalid"
    #: the database cannot be reached (a fail-over under way): send the request again
    DATABASE_UNAVAILABLE = "database_unavailable"
    INTERNAL = "internal"


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: ErrorCode
    message: str


class AnchorRevocation(BaseModel):
    """How fresh the revocation information of one trusted anchor is."""

    fingerprint: str
    subject: str
    #: ``this_update`` / ``next_update`` of the newest CRL held; ``None``: no CRL
    crl_this_update: dt.datetime | None = None
    crl_next_update: dt.datetime | None = None
    #: seconds since the newest CRL's ``this_update``
    crl_age_s: float | None = None
    #: whether that CRL's next update (plus the grace setting) is still ahead
    crl_fresh: bool = False
    ocsp_url: str | None = None
    #: the last OCSP exchange: when, and whether it gave a verified answer
    ocsp_checked_at: dt.datetime | None = None
    ocsp_ok: bool | None = None
    ocsp_error: str | None = None


class HealthResponse(BaseModel):
    status: str = "ok"
    server_time: dt.datetime
    version: str
    #: one entry per active trust anchor: filled by the counter from
    #: ``GET /v1/health/revocation`` (:class:`RevocationHealth`), never by ``/v1/health``
    revocation: list[AnchorRevocation] = Field(default_factory=list)


class RevocationHealth(BaseModel):
    """``GET /v1/health/revocation``: one entry per active trust anchor."""

    server_time: dt.datetime
    revocation: list[AnchorRevocation] = Field(default_factory=list)


class EnrollRequest(BaseModel):
    code: str = Field(min_length=4, max_length=64)
    #: raw 32-byte Ed25519 public key, base64 (standard alphabet)
    public_key: str = Field(min_length=40, max_length=64)


class TerminalInfo(BaseModel):
    terminal_id: str
    name: str
    service: ServiceInfo
    server_time: dt.datetime


class ChallengeRequest(BaseModel):
    """``POST /v1/challenges``' optional body: the operation a points session is for."""

    operation: CardOperation | None = None


class ChallengeResponse(BaseModel):
    challenge_id: str
    #: the 32 bytes the card signs, base64: random for a lookup; for an operation
    #: ``SHA-256(domain ‖ nonce ‖ canonical(operation))`` (:mod:`server.api.operations`)
    challenge: str
    expires_at: dt.datetime
    #: for an operation: the nonce (base64) and the operation with its place, from which
    #: the counter recomputes ``challenge`` before the card signs it
    nonce: str | None = None
    operation: CardOperation | None = None


class LookupRequest(BaseModel):
    challenge_id: str = Field(max_length=64)
    #: DER of the card's user-authentication certificate (EF 000A), base64
    certificate: str = Field(max_length=16384)
    #: the card's RSA signature over DigestInfo(SHA-256(challenge)), base64
    signature: str = Field(max_length=2048)
    #: the terminal will print a same-day label with the service ID: the platform records
    #: it and applies the service's daily limit
    label: bool = False


class LinkConfirmRequest(BaseModel):
    """At the desk: the holder's card proof and the service ID staff read off the
    service's own card in hand (``POST /v1/link-confirmations``)."""

    challenge_id: str = Field(max_length=64)
    certificate: str = Field(max_length=16384)
    signature: str = Field(max_length=2048)
    service_id: str = Field(min_length=1, max_length=64)


class LinkConfirmResult(BaseModel):
    service: str
    service_id: str
    #: ``linked`` (new, confirmed), ``confirmed`` (the holder's claim) or ``already linked``
    outcome: str
    #: other holders' claims on the service ID dropped
    dropped_claims: int


class LookupResult(BaseModel):
    """Everything a terminal learns about a holder: nothing more may be added."""

    service: str
    service_id: str
    valid: bool
    address_changed: bool
    certificate_expires_soon: bool


class RegistrationTicketRequest(BaseModel):
    """A card's proof, to open the resident portal's MyKey ID registration (画面16)."""

    challenge_id: str = Field(max_length=64)
    #: DER of the card's user-authentication certificate (EF 000A), base64
    certificate: str = Field(max_length=16384)
    #: the card's RSA signature over DigestInfo(SHA-256(challenge)), base64
    signature: str = Field(max_length=2048)
    #: a renewed card's proof: the *old* card's certificate and its signature over the
    #: same challenge (both cards tapped in one session), base64; both or neither
    old_certificate: str | None = Field(default=None, max_length=16384)
    old_signature: str | None = Field(default=None, max_length=2048)


class RegistrationTicket(BaseModel):
    """A one-time, short-lived link to the portal's registration page for this card."""

    url: str
    expires_at: dt.datetime
    #: "register" (a new MyKey ID, or log in to bind a renewed card) or "rebind"
    purpose: str


# ---------------------------------------------------------------------------------------
# The municipal points ledger (terminals in shop, grant and voucher modes; supporters).
# Every request that creates a transfer carries ``id``: a UUID the terminal chose and
# wrote to its local outbox *before* sending.  Sending it again returns the first result;
# the same id with another request is 409 ``transfer_id_conflict``.


class TerminalMode(StrEnum):
    """What a terminal may do (its scope); an operator allows or denies each."""

    LOOKUP = "lookup"
    LABEL = "label"  # same-day labels (a lookup with ``label``)
    SHOP = "shop"  # payments, refunds, voucher redemption at one shop
    GRANT = "grant"  # administrative point grants of one municipality
    VOUCHER = "voucher"  # point vouchers of one municipality
    LINK_CONFIRM = "link_confirm"  # staff confirm a holder's service ID at the desk
    REBIND = "rebind"  # a municipal desk: staff bind a renewed card after checking documents


class PointsScope(BaseModel):
    """The terminal's place in the points ledger (``GET /v1/terminal/points``)."""

    modes: list[TerminalMode]
    shop_code: str | None = None
    shop_name: str | None = None
    municipality_code: str | None = None
    municipality_name: str | None = None
    #: grant terminals: grants above this many points need a second staff approval
    grant_approval_over: int | None = None


class CardSessionRequest(BaseModel):
    """A card's proof, to start a points session at a shop, grant or voucher terminal."""

    challenge_id: str = Field(max_length=64)
    certificate: str = Field(max_length=16384)
    signature: str = Field(max_length=2048)


class PointBalance(BaseModel):
    """One of the holder's accounts as the terminal may see it."""

    municipality_code: str
    municipality_name: str
    #: ``None`` for the regular account, else the special event's code
    event_code: str | None = None
    event_name: str | None = None
    #: points that may be spent now (posted balance minus held points)
    available: int
    #: earliest expiry date among these points, and how many expire then
    next_expiry: dt.date | None = None
    expiring_points: int = 0


class CardSession(BaseModel):
    """A holder proved by the card, for a few minutes, at this terminal only."""

    session_id: str
    expires_at: dt.datetime
    #: the holder's balances this terminal may see (at a shop: only those usable there)
    balances: list[PointBalance]


class PaymentRequest(BaseModel):
    id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    municipality_code: str = Field(max_length=6)
    event_code: str | None = Field(default=None, max_length=32)
    amount: int = Field(gt=0, le=10_000_000)


class PaymentStatus(StrEnum):
    HELD = "held"
    POSTED = "posted"
    VOIDED = "voided"


class Payment(BaseModel):
    """A payment at a shop: held first, then posted (or voided)."""

    id: str
    status: PaymentStatus
    amount: int
    municipality_code: str
    shop_code: str
    #: when a held payment is released if not posted
    hold_expires_at: dt.datetime | None = None
    refunded: int = 0
    created_at: dt.datetime


class ResolveRequest(BaseModel):
    """Post or void a held payment: ``id`` is the resolving transfer's own id."""

    id: str = Field(max_length=64)


class RefundRequest(BaseModel):
    id: str = Field(max_length=64)
    amount: int = Field(gt=0, le=10_000_000)


class Refund(BaseModel):
    id: str
    payment_id: str
    amount: int
    refunded_total: int


def _cleaned(value: object) -> object:
    return clean(value) if isinstance(value, str) else value


#: free text a person types (a staff name, a note, a company's reference): any script and
#: any printable character (O'Brien, 髙橋, full-width), stored as :func:`server.text.clean`
#: leaves it — NFC, zero-width, bidi and control characters removed, white space collapsed.
#: Lengths apply to the cleaned text, so a name of only invisible characters is refused as
#: ``malformed``. Output is escaped where it is written (templates, CSV cells).
FreeText = Annotated[str, BeforeValidator(_cleaned)]


#: a staff account's login: ASCII lower case (look-alike characters are not logins)
StaffLogin = Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]{1,31}$", max_length=32)]
#: a staff PIN or TOTP code: digits only; kept out of reprs (and so out of logs)
StaffCode = Annotated[str, Field(pattern=r"^[0-9]{6,12}$", max_length=12, repr=False)]


class GrantRequestBody(BaseModel):
    id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    points: int = Field(gt=0, le=10_000_000)
    reason: GrantReason
    event_code: str | None = Field(default=None, max_length=32)
    #: the staff account at the terminal, and its current PIN or TOTP code (never stored)
    staff_login: StaffLogin
    staff_code: StaffCode
    note: FreeText | None = Field(default=None, max_length=200)


class GrantStatus(StrEnum):
    GRANTED = "granted"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Grant(BaseModel):
    id: str
    status: GrantStatus
    points: int
    municipality_code: str
    reason: str
    event_code: str | None = None
    #: the staff logins (or ``operator``) and staff account ids of requester and approver
    requested_by: str
    decided_by: str | None = None
    requested_by_staff_id: str | None = None
    decided_by_staff_id: str | None = None
    created_at: dt.datetime


class ApprovalRequest(BaseModel):
    id: str = Field(max_length=64)
    #: another staff account than the grant's, at another terminal
    staff_login: StaffLogin
    staff_code: StaffCode
    approve: bool


class VoucherRequest(BaseModel):
    id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    points: int = Field(gt=0, le=1_000_000)
    #: the voucher's secret, chosen by the terminal (kept in its outbox until printed):
    #: 22–64 URL-safe base64 characters (at least 128 random bits)
    code: str = Field(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class VoucherInfo(BaseModel):
    number: str
    amount: int
    municipality_code: str
    municipality_name: str
    valid_until: dt.datetime


class RedeemRequest(BaseModel):
    id: str = Field(max_length=64)
    code: str = Field(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class Redemption(BaseModel):
    id: str
    number: str
    amount: int
    municipality_code: str
    shop_code: str


class ConversionRequest(BaseModel):
    """A supporter company credits support points to a holder (``Authorization: Bearer``)."""

    id: str = Field(max_length=64)
    #: not checked for form here: a mistyped ID is answered as an unknown one (404)
    mykey_id: str = Field(min_length=1, max_length=64)
    points: int = Field(gt=0, le=10_000_000)
    #: the company's own reference (e.g. its conversion order number)
    reference: FreeText = Field(min_length=1, max_length=128)


class Conversion(BaseModel):
    id: str
    points: int
    supporter_code: str
    created_at: dt.datetime


#: QR payload prefix of a point voucher: ``MYKEYV1:<code>``
VOUCHER_QR_PREFIX = "MYKEYV1:"


class AddressChangeNotice(BaseModel):
    """A service ID whose holder's address changed (never the MyKey ID or the address)."""

    service_id: str
    changed_at: dt.datetime


class AddressChangePage(BaseModel):
    """One page of a provider's address-change notices, in import order."""

    service: str
    changes: list[AddressChangeNotice]
    #: pass as ``cursor`` for the next page; ``None`` on the last page
    next_cursor: str | None = None
