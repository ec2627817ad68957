"""Small helpers for X.509 certificates and CRLs read from files or the wire."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


def fingerprint(der: bytes) -> str:
    """SHA-256 of DER bytes, lower-case hex (how the platform names certificates)."""
    return hashlib.sha256(der).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """Accept ``AB:CD:…`` or ``abcd…`` spellings of a SHA-256 fingerprint."""
    return text.replace(":", "").replace(" ", "").strip().lower()


def serial_hex(serial: int) -> str:
    """A serial number as stored: lower-case hex without leading zeros."""
    return format(serial, "x")


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; ``ValueError`` when it is neither."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL from PEM or DER bytes; ``ValueError`` when it is neither."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


def is_ca(certificate: x509.Certificate) -> bool:
    """Whether the certificate says it is a CA (basicConstraints cA=TRUE)."""
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def allows_client_signatures(certificate: x509.Certificate) -> bool:
    """Whether the certificate's key may sign a challenge: it must have a keyUsage
    extension with digitalSignature (a JPKI user-authentication certificate's does)."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return False
    return usage.value.digital_signature
