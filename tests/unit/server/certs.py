"""Test PKI made with ``cryptography``: JPKI-like CAs, holder certificates, CRLs, card proofs.

RSA keys are slow to make, so a small pool is made once per process and reused; every
certificate still gets a random serial (and so a distinct fingerprint).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

CA_NAME = "MyKey Unit Test JPKI User Authentication CA"
KEY_POOL_SIZE = 8


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    """Pooled RSA-2048 key ``index`` (0 … KEY_POOL_SIZE-1), made once per process."""
    assert 0 <= index < KEY_POOL_SIZE
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ca_subject(common_name: str = CA_NAME) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, common_name),
        ]
    )


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class Holder:
    """A card: its user-authentication certificate and private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return pem(self.certificate)

    def sign(self, challenge: bytes) -> bytes:
        """What the card does: RSA PKCS#1 v1.5 over DigestInfo(SHA-256(challenge))."""
        return self.key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())

    def write(self, directory: Path, name: str = "cert.pem") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_bytes(self.pem)
        return path


@dataclass
class TestCA:
    """A self-signed CA that issues holder certificates and CRLs."""

    __test__ = False  # not a pytest test class

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> bytes:
        return pem(self.certificate)

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def as_holder(self) -> Holder:
        """The CA's own certificate and key, presented as if they were a card's."""
        return Holder(self.certificate, self.key)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.pem)
        return path

    def issue(
        self,
        key_index: int = 1,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        is_ca: bool = False,
        key_usage: bool = True,
    ) -> Holder:
        """A holder certificate (valid from yesterday for 5 years unless told otherwise),
        with keyUsage digitalSignature as a JPKI user-authentication certificate has
        (``key_usage=False``: without the extension)."""
        key = rsa_key(key_index)
        start = not_before or now() - dt.timedelta(days=1)
        end = not_after or now() + dt.timedelta(days=365 * 5)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP")]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        )
        if key_usage:
            builder = builder.add_extension(signing_usage(), critical=True)
        return Holder(builder.sign(self.key, hashes.SHA256()), key)

    def crl(
        self,
        *revoked: Holder,
        signer: rsa.RSAPrivateKey | None = None,
        next_update: dt.datetime | None = None,
        number: int = 1,
    ) -> bytes:
        """A PEM CRL listing the holders' serials, signed by this CA (or ``signer``),
        next updated in 7 days unless ``next_update`` says otherwise."""
        next_update = next_update or now() + dt.timedelta(days=7)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(min(now(), next_update) - dt.timedelta(minutes=5))
            .next_update(next_update)
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for holder in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(holder.certificate.serial_number)
                .revocation_date(now() - dt.timedelta(minutes=1))
                .build()
            )
        crl = builder.sign(signer or self.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.PEM)


def signing_usage() -> x509.KeyUsage:
    """keyUsage digitalSignature only: a user-authentication certificate's."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    key_index: int = 0,
    common_name: str = CA_NAME,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> TestCA:
    """A CA with pooled key ``key_index``, valid from yesterday for 10 years unless told
    otherwise; two CAs with the same name but other keys are indistinguishable by name
    (a forger's CA)."""
    key = rsa_key(key_index)
    subject = ca_subject(common_name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now() - dt.timedelta(days=1))
        .not_valid_after(not_after or now() + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return TestCA(certificate, key)
