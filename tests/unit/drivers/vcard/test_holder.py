"""Holder and CA files: round trip, certificate shape, CRL, permissions."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from drivers.vcard.holder import Holder, load_crl, make_ca, make_holder, revoke
from tests.fixtures.pcscd import MakeHolder


def ca_public_key(ca_dir: Path) -> rsa.RSAPublicKey:
    key = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes()).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_files(tmp_path: Path) -> None:
    vcard_ca = make_ca(tmp_path / "ca")  # a fresh CA: the session's may have revocations
    assert {p.name for p in vcard_ca.iterdir()} >= {"ca.pem", "ca.key.pem", "crl.pem"}
    assert mode(vcard_ca / "ca.key.pem") == 0o600
    ca = x509.load_pem_x509_certificate((vcard_ca / "ca.pem").read_bytes())
    assert ca.subject == ca.issuer
    assert ca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "JPKI"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert ca.signature_hash_algorithm is not None
    assert ca.signature_hash_algorithm.name == "sha256"
    crl = load_crl(vcard_ca)
    assert len(crl) == 0 and crl.is_signature_valid(ca_public_key(vcard_ca))
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=360)


def test_ca_name(tmp_path: Path) -> None:
    ca_pem = (make_ca(tmp_path, common_name="X CA") / "ca.pem").read_bytes()
    ca = x509.load_pem_x509_certificate(ca_pem)
    units = [a.value for a in ca.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert "X CA" in units


def test_holder_files_round_trip(make_vcard_holder: MakeHolder) -> None:
    holder = make_vcard_holder(pin="9876", tries_left=2)
    directory = holder.directory
    assert {p.name for p in directory.iterdir()} == {"cert.pem", "key.pem", "ca.pem", "holder.json"}
    assert mode(directory / "key.pem") == 0o600
    assert json.loads((directory / "holder.json").read_text()) == {
        "pin": "9876",
        "tries_left": 2,
        "jpki": True,
    }
    loaded = Holder.load(directory)
    assert loaded.certificate_der == holder.certificate_der
    assert loaded.ca_certificate_der == holder.ca_certificate_der
    assert loaded.private_key.private_numbers() == holder.private_key.private_numbers()
    assert (loaded.pin, loaded.tries_left, loaded.jpki) == ("9876", 2, True)
    loaded.tries_left, loaded.jpki = 1, False
    loaded.save()
    again = Holder.load(directory)
    assert (again.tries_left, again.jpki) == (1, False)
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_holder_certificate_looks_like_jpki(make_vcard_holder: MakeHolder, vcard_ca: Path) -> None:
    holder = make_vcard_holder()
    cert = holder.certificate
    ca = x509.load_der_x509_certificate(holder.ca_certificate_der)
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    assert {a.oid for a in cert.subject} == {NameOID.COUNTRY_NAME, NameOID.COMMON_NAME}
    assert holder.private_key.key_size == 2048
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc
    assert cert.not_valid_after_utc > now + dt.timedelta(days=365 * 5 - 2)
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.public_numbers() == holder.private_key.public_key().public_numbers()


def test_expired_and_not_yet_valid(make_vcard_holder: MakeHolder) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = make_vcard_holder(expired=True).certificate
    assert expired.not_valid_after_utc < now
    assert expired.not_valid_before_utc < now - dt.timedelta(days=365 * 4)
    future = make_vcard_holder(not_yet_valid=True).certificate
    assert future.not_valid_before_utc > now + dt.timedelta(days=29)


def test_revoked_serial_in_crl(make_vcard_holder: MakeHolder, vcard_ca: Path) -> None:
    good = make_vcard_holder()
    bad = make_vcard_holder(revoked=True)
    crl = load_crl(vcard_ca)
    assert crl.get_revoked_certificate_by_serial_number(bad.certificate.serial_number)
    assert crl.get_revoked_certificate_by_serial_number(good.certificate.serial_number) is None
    assert crl.is_signature_valid(ca_public_key(vcard_ca))


def test_revoke_keeps_earlier_entries_once(tmp_path: Path) -> None:
    ca_dir = make_ca(tmp_path / "ca")
    first = make_holder(tmp_path / "a", ca_dir)
    second = make_holder(tmp_path / "b", ca_dir)
    revoke(ca_dir, first.certificate_der)
    revoke(ca_dir, second.certificate_der)
    revoke(ca_dir, first.certificate_der)
    serials = sorted(r.serial_number for r in load_crl(ca_dir))
    assert serials == sorted([first.certificate.serial_number, second.certificate.serial_number])


@pytest.mark.parametrize("pin", ["123", "12345", "abcd", "１２３４"])
def test_bad_pin_refused(vcard_ca: Path, tmp_path: Path, pin: str) -> None:
    with pytest.raises(ValueError, match="PIN"):
        make_holder(tmp_path / "h", vcard_ca, pin=pin)


def test_bad_tries_refused(vcard_ca: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tries_left"):
        make_holder(tmp_path / "h", vcard_ca, tries_left=4)
