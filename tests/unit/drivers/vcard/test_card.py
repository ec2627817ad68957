"""The virtual card's APDU behaviour, in process (JPKI.md)."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from drivers.vcard.card import JPKI_AID, TOKEN_INFO, VirtualJpkiCard, parse_apdu
from drivers.vcard.holder import Holder
from tests.fixtures.pcscd import MakeHolder

SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID
FORBIDDEN_AIDS = ["D39210003100010104 08", "D39210003100010104 02", "D39210003100010101 00"]
SHA256_PREFIX = bytes.fromhex("3031300D060960864801650304020105000420")


def sw(response: bytes) -> int:
    return int.from_bytes(response[-2:], "big")


def select_ef(fid: str) -> bytes:
    return bytes.fromhex("00A4020C02" + fid)


def verify(pin: bytes | None = None) -> bytes:
    header = bytes.fromhex("00200080")
    return header if pin is None else header + bytes([len(pin)]) + pin


def sign_apdu(digest_info: bytes) -> bytes:
    return bytes.fromhex("802A0080") + bytes([len(digest_info)]) + digest_info + b"\x00"


def digest_info(message: bytes) -> bytes:
    return SHA256_PREFIX + hashlib.sha256(message).digest()


@pytest.fixture
def holder(make_vcard_holder: MakeHolder) -> Holder:
    return make_vcard_holder()


@pytest.fixture
def card(holder: Holder) -> VirtualJpkiCard:
    card = VirtualJpkiCard(holder)
    card.power_on()
    assert sw(card.process(SELECT_JPKI)) == 0x9000
    return card


def read_file(card: VirtualJpkiCard, fid: str) -> bytes:
    """Read an EF like the terminal: 4-byte header, then chunks of at most 256 bytes."""
    assert sw(card.process(select_ef(fid))) == 0x9000
    head = card.process(bytes.fromhex("00B0000004"))
    assert sw(head) == 0x9000 and head[:2] == b"\x30\x82"
    total = int.from_bytes(head[2:4], "big") + 4
    data = b""
    while len(data) < total:
        le = min(256, total - len(data))
        answer = card.process(bytes([0, 0xB0, len(data) >> 8, len(data) & 0xFF, le & 0xFF]))
        assert sw(answer) == 0x9000
        data += answer[:-2]
    return data


def test_atr() -> None:
    assert VirtualJpkiCard.ATR == bytes.fromhex("3BE000FF8131FE4514")


def test_select_jpki_and_unknown_aids(holder: Holder) -> None:
    card = VirtualJpkiCard(holder)
    assert card.atr == VirtualJpkiCard.ATR
    assert sw(card.process(SELECT_JPKI)) == 0x9000
    for aid in FORBIDDEN_AIDS + ["A000000003000000"]:
        data = bytes.fromhex(aid.replace(" ", ""))
        assert sw(card.process(bytes.fromhex("00A4040C") + bytes([len(data)]) + data)) == 0x6A82


def test_select_ef_needs_the_ap(holder: Holder) -> None:
    card = VirtualJpkiCard(holder)
    assert sw(card.process(select_ef("000A"))) == 0x6A82
    card.process(SELECT_JPKI)
    for fid in ("000A", "000B", "0018", "0017", "0006", "0001", "0002", "001A", "001B"):
        assert sw(card.process(select_ef(fid))) == 0x9000, fid
    assert sw(card.process(select_ef("1234"))) == 0x6A82


def test_chunked_read_of_certificates(card: VirtualJpkiCard, holder: Holder) -> None:
    assert read_file(card, "000A") == holder.certificate_der
    assert read_file(card, "000B") == holder.ca_certificate_der


def test_read_binary_le_and_bounds(card: VirtualJpkiCard, holder: Holder) -> None:
    cert = holder.certificate_der
    card.process(select_ef("000A"))
    full = card.process(bytes.fromhex("00B0000000"))  # Le=00 means 256
    assert full[:-2] == cert[:256] and sw(full) == 0x9000
    offset = len(cert) - 10
    tail = card.process(bytes([0, 0xB0, offset >> 8, offset & 0xFF, 0x20]))
    assert tail[:-2] == cert[-10:] and sw(tail) == 0x6282  # short answer: end of file
    past = len(cert)
    assert sw(card.process(bytes([0, 0xB0, past >> 8, past & 0xFF, 0x10]))) == 0x6B00


def test_token_info(card: VirtualJpkiCard) -> None:
    card.process(select_ef("0006"))
    answer = card.process(bytes.fromhex("00B0000000"))
    assert answer[:-2] == TOKEN_INFO and answer[:15] == b"JPKIAPICCTOKEN2"
    assert sw(answer) == 0x6282 and len(TOKEN_INFO) == 32


def test_read_without_ef_or_on_key(holder: Holder) -> None:
    card = VirtualJpkiCard(holder)
    assert sw(card.process(bytes.fromhex("00B0000004"))) == 0x6986
    card.process(SELECT_JPKI)
    card.process(select_ef("0017"))
    assert sw(card.process(bytes.fromhex("00B0000004"))) == 0x6981


def test_pin_query_uses_no_try(card: VirtualJpkiCard, holder: Holder) -> None:
    card.process(select_ef("0018"))
    for _ in range(5):
        assert sw(card.process(verify())) == 0x63C3
    assert holder.tries_left == 3
    assert sw(card.process(verify(b"1234"))) == 0x9000
    assert sw(card.process(verify())) == 0x63C3  # never 9000, even when verified


def test_signing_pin_query(card: VirtualJpkiCard) -> None:
    card.process(select_ef("001B"))
    assert sw(card.process(verify())) == 0x63C5


def test_wrong_pin_decrements_and_blocks(card: VirtualJpkiCard, holder: Holder) -> None:
    card.process(select_ef("0018"))
    assert sw(card.process(verify(b"0000"))) == 0x63C2
    assert sw(card.process(verify(b"0000"))) == 0x63C1
    assert sw(card.process(verify(b"0000"))) == 0x63C0
    assert sw(card.process(verify())) == 0x63C0
    assert sw(card.process(verify(b"1234"))) == 0x6983  # blocked: the right PIN won't do
    assert sw(card.process(verify(b"0000"))) == 0x6983
    assert holder.tries_left == 0
    assert json.loads((holder.directory / "holder.json").read_text())["tries_left"] == 0
    assert Holder.load(holder.directory).tries_left == 0


def test_correct_pin_resets_counter(make_vcard_holder: MakeHolder) -> None:
    holder = make_vcard_holder(tries_left=1)
    card = VirtualJpkiCard(holder)
    for apdu in (SELECT_JPKI, select_ef("0018")):
        card.process(apdu)
    assert sw(card.process(verify())) == 0x63C1
    assert sw(card.process(verify(b"1234"))) == 0x9000
    assert sw(card.process(verify())) == 0x63C3
    assert Holder.load(holder.directory).tries_left == 3


def test_pin_change_callback(holder: Holder) -> None:
    seen: list[int] = []
    card = VirtualJpkiCard(holder, on_pin_change=lambda h: seen.append(h.tries_left))
    for apdu in (SELECT_JPKI, select_ef("0018"), verify(), verify(b"9999"), verify(b"1234")):
        card.process(apdu)
    assert seen == [2, 3]
    assert Holder.load(holder.directory).tries_left == 3  # the callback replaced save()


def test_malformed_verify(card: VirtualJpkiCard, holder: Holder) -> None:
    card.process(select_ef("0018"))
    assert sw(card.process(verify(b"12345"))) == 0x6700
    assert sw(card.process(bytes.fromhex("00200080041234"))) == 0x6700  # Lc says 4, 2 given
    assert holder.tries_left == 3


def test_sign_needs_pin(card: VirtualJpkiCard) -> None:
    card.process(select_ef("0017"))
    assert sw(card.process(sign_apdu(digest_info(b"x")))) == 0x6982


def test_signature_verifies(card: VirtualJpkiCard, holder: Holder) -> None:
    card.process(select_ef("0018"))
    assert sw(card.process(verify(b"1234"))) == 0x9000
    card.process(select_ef("0017"))
    answer = card.process(sign_apdu(digest_info(b"challenge")))
    assert sw(answer) == 0x9000 and len(answer) == 258
    public_key = holder.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(answer[:-2], b"challenge", padding.PKCS1v15(), hashes.SHA256())


def test_sign_refuses_oversized_data(card: VirtualJpkiCard) -> None:
    card.process(select_ef("0018"))
    card.process(verify(b"1234"))
    card.process(select_ef("0017"))
    assert sw(card.process(sign_apdu(b"\x01" * 246))) == 0x6A80


def test_signing_key_is_not_usable(card: VirtualJpkiCard) -> None:
    card.process(select_ef("0018"))
    card.process(verify(b"1234"))
    card.process(select_ef("001A"))
    assert sw(card.process(sign_apdu(digest_info(b"x")))) == 0x6982


@pytest.mark.parametrize("action", ["reset", "power_off"])
def test_reset_and_power_off_clear_state(
    card: VirtualJpkiCard, holder: Holder, action: str
) -> None:
    card.process(select_ef("0018"))
    card.process(verify(b"1234"))
    assert card.pin_verified
    getattr(card, action)()
    card.power_on()
    assert not card.pin_verified
    assert sw(card.process(select_ef("0017"))) == 0x6A82  # the AP is no longer selected
    card.process(SELECT_JPKI)
    card.process(select_ef("0017"))
    assert sw(card.process(sign_apdu(digest_info(b"x")))) == 0x6982


def test_card_without_jpki(make_vcard_holder: MakeHolder) -> None:
    card = VirtualJpkiCard(make_vcard_holder(jpki=False))
    assert card.atr != VirtualJpkiCard.ATR
    for apdu in (SELECT_JPKI, select_ef("000A"), bytes.fromhex("00B0000004"), verify()):
        assert card.process(apdu) == b"\x6a\x82"


@pytest.mark.parametrize(
    ("apdu", "expected"),
    [
        ("00CA010000", 0x6D00),  # unknown INS
        ("00840000 08", 0x6D00),
        ("10A4040C0AD392F000260100000001", 0x6E00),  # wrong CLA
        ("80B0000004", 0x6E00),
        ("002A0080 03 010203 00", 0x6E00),  # ISO CLA for the proprietary signature
        ("00A4", 0x6700),  # shorter than a header
        ("00A4040C0AD392", 0x6700),  # Lc larger than the data
        ("00B0000000000004", 0x6700),  # extended length
        ("00A4080C020001", 0x6A82),
    ],
)
def test_errors(card: VirtualJpkiCard, apdu: str, expected: int) -> None:
    assert sw(card.process(bytes.fromhex(apdu.replace(" ", "")))) == expected


def test_parse_apdu_cases() -> None:
    assert parse_apdu(bytes.fromhex("00200080")).le is None
    assert parse_apdu(bytes.fromhex("00B0000000")).le == 256
    case3 = parse_apdu(bytes.fromhex("00A4020C02000A"))
    assert case3.data == b"\x00\x0a" and case3.le is None
    case4 = parse_apdu(bytes.fromhex("802A00800301020300"))
    assert case4.data == b"\x01\x02\x03" and case4.le == 256
