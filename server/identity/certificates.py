"""Verification of a card's user-authentication certificate and of the card's signature.

Each check raises :class:`~server.errors.PlatformError` with its own error code, in the
order the lookup reports them: parse, chain to a pinned anchor (valid now, unless the
operator keeps it with a reason), keyUsage, validity, revocation (fails closed: see
:mod:`server.identity.revocation`), then the card's signature over the challenge.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.identity.policy import PolicyError, TrustPolicy
from server.identity.revocation import check_not_revoked
from server.identity.trust import Anchor, find_issuer
from server.identity.x509util import allows_client_signatures, fingerprint, is_ca, serial_hex

log = logging.getLogger(__name__)

#: a certificate that expires within this time deserves a warning at the counter
EXPIRY_WARNING = dt.timedelta(days=90)


@dataclass(frozen=True)
class VerifiedCertificate:
    """A certificate that chains to a pinned anchor, is valid now and is not revoked."""

    certificate: x509.Certificate
    fingerprint: str
    serial: str
    anchor: Anchor

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    def expires_soon(self, now: dt.datetime) -> bool:
        return self.not_after - now <= EXPIRY_WARNING


def parse_certificate(der: bytes) -> x509.Certificate:
    """The certificate in ``der``, or ``certificate_malformed``."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        _ = certificate.extensions  # parsed on first access: a broken one fails here
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as error:
        raise PlatformError(
            ErrorCode.CERTIFICATE_MALFORMED, f"the certificate cannot be parsed: {error}"
        ) from error
    return certificate


def _policy() -> TrustPolicy:
    try:
        return TrustPolicy.from_environment()
    except PolicyError as error:  # fail closed: no laxer default
        raise PlatformError(
            ErrorCode.REVOCATION_UNKNOWN, f"a trust setting cannot be read: {error}"
        ) from error


def check_anchor_valid(anchor: Anchor, now: dt.datetime, policy: TrustPolicy) -> None:
    """Refuse an anchor outside its own validity, unless the operator keeps it (with the
    reason in the setting, logged on every such use)."""
    start, end = anchor.certificate.not_valid_before_utc, anchor.certificate.not_valid_after_utc
    if start <= now <= end:
        return
    reason = policy.kept_expired_anchors.get(anchor.row.fingerprint)
    if reason is not None and now > end:
        log.warning(
            "anchor %s expired on %s is used, kept by the operator: %s",
            anchor.row.fingerprint,
            f"{end:%Y-%m-%d}",
            reason,
        )
        return
    raise PlatformError(
        ErrorCode.CERTIFICATE_UNTRUSTED,
        f"the issuing CA certificate expired on {end:%Y-%m-%d}"
        if now > end
        else f"the issuing CA certificate is valid only from {start:%Y-%m-%d}",
    )


def verify_certificate(session: Session, der: bytes, now: dt.datetime) -> VerifiedCertificate:
    """Parse ``der`` and check chain, validity and revocation (errors in that order)."""
    certificate = parse_certificate(der)
    anchor = find_issuer(session, certificate)
    if anchor is None:
        raise PlatformError(
            ErrorCode.CERTIFICATE_UNTRUSTED,
            "the certificate is not issued by a trusted JPKI user-authentication CA",
        )
    policy = _policy()
    check_anchor_valid(anchor, now, policy)
    if is_ca(certificate):
        raise PlatformError(
            ErrorCode.CERTIFICATE_UNTRUSTED,
            "a CA certificate cannot identify a card holder",
        )
    if not allows_client_signatures(certificate):
        raise PlatformError(
            ErrorCode.CERTIFICATE_UNTRUSTED,
            "the certificate's keyUsage is missing or does not allow signing in "
            "(digitalSignature): it is not a user-authentication certificate",
        )
    if now > certificate.not_valid_after_utc:
        raise PlatformError(
            ErrorCode.CERTIFICATE_EXPIRED,
            f"the certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}",
        )
    if now < certificate.not_valid_before_utc:
        raise PlatformError(
            ErrorCode.CERTIFICATE_NOT_YET_VALID,
            f"the certificate is valid only from {certificate.not_valid_before_utc:%Y-%m-%d}",
        )
    check_not_revoked(session, anchor, certificate, now, policy)
    serial = serial_hex(certificate.serial_number)
    return VerifiedCertificate(certificate, fingerprint(der), serial, anchor)


def verify_card_signature(
    certificate: x509.Certificate, challenge: bytes, signature: bytes
) -> None:
    """Check the card's RSA PKCS#1 v1.5 signature over DigestInfo(SHA-256(challenge))."""
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise PlatformError(
            ErrorCode.CARD_SIGNATURE_INVALID, "the certificate's key is not an RSA key"
        )
    try:
        key.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise PlatformError(
            ErrorCode.CARD_SIGNATURE_INVALID,
            "the card's signature does not match the certificate and the challenge",
        ) from error
