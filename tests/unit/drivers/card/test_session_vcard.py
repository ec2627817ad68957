"""JpkiSession against the in-process virtual card (drivers/vcard), no pcscd."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from drivers.card.errors import (
    LastTryRefused,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinNotVerified,
)
from drivers.card.jpki import JPKI_AID, JpkiSession, digest_info_sha256
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder

ALLOWED_EFS = {bytes.fromhex(f) for f in ("000A", "000B", "0018", "0017", "0006")}


class VcardTransport:
    """Adapter: the virtual card's ``process`` as a Transport; records every APDU."""

    def __init__(self, card: VirtualJpkiCard) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(bytes(apdu))
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


MakeCard = Callable[..., tuple[Holder, VcardTransport]]


@pytest.fixture
def make(ca_dir: Path, tmp_path: Path) -> MakeCard:
    def _make(**opts: Any) -> tuple[Holder, VcardTransport]:
        holder = make_holder(tmp_path / "holder", ca_dir, **opts)
        card = VirtualJpkiCard(holder)
        card.power_on()
        return holder, VcardTransport(card)

    return _make


def _verify_signature(cert_der: bytes, signature: bytes, message: bytes) -> None:
    public_key = x509.load_der_x509_certificate(cert_der).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_full_tap(make: MakeCard) -> None:
    holder, transport = make()
    session = JpkiSession(transport)
    session.select_jpki()
    cert = session.read_auth_certificate()
    assert cert == holder.certificate_der
    assert session.read_auth_ca_certificate() == holder.ca_certificate_der
    assert session.pin_tries_left() == 3
    session.verify_pin("1234")
    signature = session.sign(digest_info_sha256(b"x"))
    assert len(signature) == 256
    _verify_signature(cert, signature, b"x")
    selects = [a for a in transport.sent if a[1] == 0xA4]
    assert {a[5:] for a in selects if a[2] == 0x04} == {JPKI_AID}
    assert {a[5:] for a in selects if a[2] == 0x02} <= ALLOWED_EFS


def test_wrong_pins_until_blocked(make: MakeCard) -> None:
    holder, transport = make()
    session = JpkiSession(transport)
    with pytest.raises(PinError) as info:
        session.verify_pin("0000")
    assert info.value.tries_left == 2
    with pytest.raises(PinError) as info:
        session.verify_pin("0000")
    assert info.value.tries_left == 1
    with pytest.raises(LastTryRefused):
        session.verify_pin("1234")
    assert session.pin_tries_left() == 1
    with pytest.raises(PinBlocked):
        session.verify_pin("0000", allow_last_try=True)
    assert session.pin_tries_left() == 0
    with pytest.raises(PinBlocked):
        session.verify_pin("1234", allow_last_try=True)
    assert holder.tries_left == 0


def test_correct_pin_resets_counter(make: MakeCard) -> None:
    _, transport = make(tries_left=2)
    session = JpkiSession(transport)
    session.verify_pin("1234")
    assert session.pin_tries_left() == 3


def test_blocked_holder(make: MakeCard) -> None:
    _, transport = make(tries_left=0)
    session = JpkiSession(transport)
    assert session.pin_tries_left() == 0
    with pytest.raises(PinBlocked):
        session.verify_pin("1234", allow_last_try=True)
    assert not [a for a in transport.sent if a[1] == 0x20 and len(a) > 4]


def test_card_without_jpki(make: MakeCard) -> None:
    _, transport = make(jpki=False)
    with pytest.raises(NotJpkiCard):
        JpkiSession(transport).select_jpki()


def test_sign_without_pin(make: MakeCard) -> None:
    _, transport = make()
    with pytest.raises(PinNotVerified):
        JpkiSession(transport).sign(digest_info_sha256(b"x"))


def test_pin_state_ends_with_power(make: MakeCard) -> None:
    _, transport = make()
    JpkiSession(transport).verify_pin("1234")
    transport.card.power_off()
    transport.card.power_on()
    with pytest.raises(PinNotVerified):
        JpkiSession(transport).sign(digest_info_sha256(b"x"))
