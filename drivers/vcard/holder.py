"""Card holders of the virtual My Number Card: certificate, key, PIN and tries, kept in files.

A holder directory holds ``cert.pem``, ``key.pem`` (0600), ``ca.pem`` (a copy of the issuing
CA's certificate) and ``holder.json`` (``pin``, ``tries_left``, ``jpki``). A CA directory holds
``ca.pem``, ``ca.key.pem`` (0600) and ``crl.pem``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_TRIES = 3
CA_CERT = "ca.pem"
CA_KEY = "ca.key.pem"
CRL = "crl.pem"
CERT = "cert.pem"
KEY = "key.pem"
STATE = "holder.json"
CA_UNIT = "JPKI for user authentication (test)"


@dataclass
class Holder:
    """One virtual card's content and state."""

    directory: Path
    certificate_der: bytes
    ca_certificate_der: bytes
    private_key: rsa.RSAPrivateKey
    pin: str
    tries_left: int
    jpki: bool = True

    @classmethod
    def load(cls, directory: Path) -> Holder:
        """Read a holder directory written by :func:`make_holder` or :meth:`save`."""
        directory = Path(directory)
        state = json.loads((directory / STATE).read_text(encoding="utf-8"))
        key = serialization.load_pem_private_key((directory / KEY).read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{directory / KEY} is not an RSA private key")
        return cls(
            directory=directory,
            certificate_der=_pem_to_der(directory / CERT),
            ca_certificate_der=_pem_to_der(directory / CA_CERT),
            private_key=key,
            pin=str(state["pin"]),
            tries_left=int(state["tries_left"]),
            jpki=bool(state.get("jpki", True)),
        )

    def save(self) -> None:
        """Write every file of the holder, each one atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        cert = x509.load_der_x509_certificate(self.certificate_der)
        ca = x509.load_der_x509_certificate(self.ca_certificate_der)
        _write_atomic(self.directory / CERT, cert.public_bytes(serialization.Encoding.PEM))
        _write_atomic(self.directory / CA_CERT, ca.public_bytes(serialization.Encoding.PEM))
        _write_atomic(self.directory / KEY, _key_pem(self.private_key), mode=0o600)
        self.save_state()

    def save_state(self) -> None:
        """Write only ``holder.json`` (PIN, tries left, JPKI flag) atomically."""
        state = {"pin": self.pin, "tries_left": self.tries_left, "jpki": self.jpki}
        data = (json.dumps(state, indent=2) + "\n").encode()
        _write_atomic(self.directory / STATE, data, mode=0o600)

    @property
    def certificate(self) -> x509.Certificate:
        """The user-authentication certificate, parsed."""
        return x509.load_der_x509_certificate(self.certificate_der)


def make_ca(
    directory: Path, *, common_name: str = "MyKey Test JPKI User Authentication CA"
) -> Path:
    """Create a self-signed test CA with an empty CRL in ``directory``; return ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CA_UNIT),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, common_name),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_atomic(directory / CA_KEY, _key_pem(key), mode=0o600)
    _write_atomic(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    _write_crl(directory, cert, key, [])
    return directory


def make_holder(
    directory: Path,
    ca_directory: Path,
    *,
    pin: str = "1234",
    expired: bool = False,
    revoked: bool = False,
    not_yet_valid: bool = False,
    jpki: bool = True,
    tries_left: int = MAX_TRIES,
) -> Holder:
    """Issue a user-authentication certificate from the CA and write a new holder."""
    if len(pin) != 4 or not (pin.isascii() and pin.isdigit()):
        raise ValueError("the PIN must be 4 ASCII digits")
    if not 0 <= tries_left <= MAX_TRIES:
        raise ValueError(f"tries_left must be 0..{MAX_TRIES}")
    ca_cert, ca_key = _load_ca(Path(ca_directory))
    key = _new_key()
    now = _now()
    not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=365 * 5)
    if expired:
        not_before, not_after = now - dt.timedelta(days=365 * 5), now - dt.timedelta(days=1)
    if not_yet_valid:
        not_before = now + dt.timedelta(days=30)
    cert = _issue(key, ca_cert, ca_key, not_before, not_after)
    holder = Holder(
        directory=Path(directory),
        certificate_der=cert.public_bytes(serialization.Encoding.DER),
        ca_certificate_der=ca_cert.public_bytes(serialization.Encoding.DER),
        private_key=key,
        pin=pin,
        tries_left=tries_left,
        jpki=jpki,
    )
    holder.save()
    if revoked:
        revoke(Path(ca_directory), holder.certificate_der)
    return holder


def revoke(ca_directory: Path, certificate_der: bytes) -> None:
    """Add the certificate's serial to the CA's CRL and sign the CRL again."""
    ca_directory = Path(ca_directory)
    ca_cert, ca_key = _load_ca(ca_directory)
    serial = x509.load_der_x509_certificate(certificate_der).serial_number
    revoked = [(r.serial_number, r.revocation_date_utc) for r in load_crl(ca_directory)]
    if all(s != serial for s, _ in revoked):
        revoked.append((serial, _now()))
    _write_crl(ca_directory, ca_cert, ca_key, revoked)


def load_crl(ca_directory: Path) -> x509.CertificateRevocationList:
    """The CA's current CRL."""
    return x509.load_pem_x509_crl((Path(ca_directory) / CRL).read_bytes())


def _issue(
    key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    # Like the real one: no name, no address; only the country and a serial-like CN.
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8).upper()),
        ]
    )
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(_user_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .add_extension(aki, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _write_crl(
    directory: Path,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    revoked: list[tuple[int, dt.datetime]],
) -> None:
    now = _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=365))
    )
    for serial, when in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    _write_atomic(directory / CRL, crl.public_bytes(serialization.Encoding.PEM))


def _load_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
    key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{directory / CA_KEY} is not an RSA private key")
    return cert, key


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _user_key_usage() -> x509.KeyUsage:
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


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_to_der(path: Path) -> bytes:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
