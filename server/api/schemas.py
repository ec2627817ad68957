"""Wire types of the MyKey Platform API, shared with the counter terminal.

This module is the whole contract between ``app`` and ``server``: the counter imports
nothing else from ``server``.  It holds only pydantic models and constants, no database
or framework code.

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

from pydantic import BaseModel, Field

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
    CARD_SIGNATURE_INVALID = "card_signature_invalid"
    NOT_REGISTERED = "not_registered"
    SERVICE_NOT_LINKED = "service_not_linked"
    LABEL_LIMIT_REACHED = "label_limit_reached"
    INTERNAL = "internal"


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: ErrorCode
    message: str


class HealthResponse(BaseModel):
    status: str = "ok"
    server_time: dt.datetime
    version: str


class EnrollRequest(BaseModel):
    code: str = Field(min_length=4, max_length=64)
    #: raw 32-byte Ed25519 public key, base64 (standard alphabet)
    public_key: str = Field(min_length=40, max_length=64)


class TerminalInfo(BaseModel):
    terminal_id: str
    name: str
    service: ServiceInfo
    server_time: dt.datetime


class ChallengeResponse(BaseModel):
    challenge_id: str
    #: 32 random bytes, base64
    challenge: str
    expires_at: dt.datetime


class LookupRequest(BaseModel):
    challenge_id: str = Field(max_length=64)
    #: DER of the card's user-authentication certificate (EF 000A), base64
    certificate: str = Field(max_length=16384)
    #: the card's RSA signature over DigestInfo(SHA-256(challenge)), base64
    signature: str = Field(max_length=2048)
    #: the terminal will print a same-day label with the service ID: the platform records
    #: it and applies the service's daily limit
    label: bool = False


class LookupResult(BaseModel):
    """Everything a terminal learns about a holder: nothing more may be added."""

    service: str
    service_id: str
    valid: bool
    address_changed: bool
    certificate_expires_soon: bool
