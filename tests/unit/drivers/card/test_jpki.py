"""JpkiSession against a scripted fake card."""

from __future__ import annotations

import hashlib

import pytest

from drivers.card.errors import (
    ApduError,
    CardDataError,
    LastTryRefused,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinFormatError,
    PinNotVerified,
)
from drivers.card.jpki import (
    JPKI_AID,
    MAX_CERTIFICATE_BYTES,
    JpkiSession,
    digest_info_sha256,
)
from tests.unit.drivers.card.fakes import FakeJpkiCard, ScriptedTransport, der_blob

SIZES = [1000, 1792, 256, 512, 1024, 257, 513, 1025, 260, 261, 4, 5, MAX_CERTIFICATE_BYTES]


def _reads(card: FakeJpkiCard) -> list[tuple[int, int]]:
    """(offset, Le) of every READ BINARY, Le 00 counted as 256."""
    return [((a[2] << 8) | a[3], a[4] or 256) for a in card.sent if a[1] == 0xB0]


def test_jpki_aid() -> None:
    assert JPKI_AID == bytes.fromhex("D392F000260100000001")


def test_digest_info_sha256() -> None:
    prefix = bytes.fromhex("3031300D060960864801650304020105000420")
    assert digest_info_sha256(b"x") == prefix + hashlib.sha256(b"x").digest()
    assert len(digest_info_sha256(b"")) == 51


def test_select_jpki() -> None:
    card = FakeJpkiCard()
    JpkiSession(card).select_jpki()
    assert card.sent == [bytes.fromhex("00A4040C0AD392F000260100000001")]


@pytest.mark.parametrize("sw", [0x6A82, 0x6A86, 0x6D00, 0x6E00, 0x6999])
def test_select_jpki_on_other_cards(sw: int) -> None:
    with pytest.raises(NotJpkiCard, match=f"{sw:04X}"):
        JpkiSession(ScriptedTransport((b"", sw))).select_jpki()


def test_read_certificate_without_explicit_select() -> None:
    card = FakeJpkiCard(jpki=False)
    with pytest.raises(NotJpkiCard):
        JpkiSession(card).read_auth_certificate()


@pytest.mark.parametrize("size", SIZES)
def test_chunked_certificate_read(size: int) -> None:
    cert = der_blob(size)
    card = FakeJpkiCard(files={0x000A: cert})
    assert JpkiSession(card).read_auth_certificate() == cert
    reads = _reads(card)
    assert reads[0] == (0, 4)
    assert all(le <= 256 for _, le in reads)
    offsets = [o for o, _ in reads]
    assert offsets == sorted(offsets)
    assert sum(le for _, le in reads[1:]) == size - 4
    if size > 4:
        last_offset, last_le = reads[-1]
        assert last_offset + last_le == size  # exact Le on the last chunk
    assert [a[5:] for a in card.sent if a[1] == 0xA4 and a[2] == 0x02] == [b"\x00\x0a"]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_chunked_read_multiples_of_256(k: int) -> None:
    for size in (256 * k, 256 * k + 1):
        cert = der_blob(size)
        card = FakeJpkiCard(files={0x000A: cert})
        assert JpkiSession(card).read_auth_certificate() == cert
        assert len(_reads(card)) == 1 + -(-(size - 4) // 256)


def test_read_ca_certificate() -> None:
    ca = der_blob(1400)
    card = FakeJpkiCard(files={0x000A: der_blob(1000), 0x000B: ca})
    assert JpkiSession(card).read_auth_ca_certificate() == ca
    assert [a[5:] for a in card.sent if a[1] == 0xA4 and a[2] == 0x02] == [b"\x00\x0b"]


def test_card_giving_short_chunks_still_reads_everything() -> None:
    cert = der_blob(1000)
    card = FakeJpkiCard(files={0x000A: cert}, max_chunk=100)
    assert JpkiSession(card).read_auth_certificate() == cert


@pytest.mark.parametrize(
    "header", ["3081FF00", "31820100", "FFFFFFFF", "00000000", "3080"], ids=str
)
def test_certificate_with_bad_header(header: str) -> None:
    card = FakeJpkiCard(files={0x000A: bytes.fromhex(header) + bytes(300)})
    with pytest.raises(CardDataError, match="30 82"):
        JpkiSession(card).read_auth_certificate()
    assert len(_reads(card)) == 1


@pytest.mark.parametrize("length", [MAX_CERTIFICATE_BYTES - 3, 0xFFFF])
def test_certificate_too_long_is_refused_without_reading(length: int) -> None:
    card = FakeJpkiCard(files={0x000A: b"\x30\x82" + length.to_bytes(2, "big") + bytes(600)})
    with pytest.raises(CardDataError, match="announces"):
        JpkiSession(card).read_auth_certificate()
    assert len(_reads(card)) == 1


def test_certificate_shorter_than_announced() -> None:
    blob = der_blob(1000)
    card = FakeJpkiCard(files={0x000A: blob[:700]})
    with pytest.raises(CardDataError, match="announces 1000 bytes, the file ends after 700"):
        JpkiSession(card).read_auth_certificate()


def test_missing_ef() -> None:
    card = FakeJpkiCard(files={})
    with pytest.raises(ApduError) as info:
        JpkiSession(card).read_auth_certificate()
    assert info.value.sw == 0x6A82


@pytest.mark.parametrize("tries", [3, 2, 1])
def test_pin_tries_left(tries: int) -> None:
    card = FakeJpkiCard(tries_left=tries)
    assert JpkiSession(card).pin_tries_left() == tries
    assert card.sent[-2:] == [bytes.fromhex("00A4020C020018"), bytes.fromhex("00200080")]
    assert card.tries_left == tries  # no try used


@pytest.mark.parametrize("blocked_sw", [0x63C0, 0x6983, 0x6984])
def test_pin_tries_left_blocked(blocked_sw: int) -> None:
    card = FakeJpkiCard(tries_left=0, blocked_sw=blocked_sw)
    assert JpkiSession(card).pin_tries_left() == 0


def test_pin_tries_left_unexpected_answer() -> None:
    t = ScriptedTransport((b"", 0x9000), (b"", 0x9000), (b"", 0x9000))
    with pytest.raises(ApduError) as info:
        JpkiSession(t).pin_tries_left()
    assert info.value.sw == 0x9000


def test_verify_pin_ok() -> None:
    card = FakeJpkiCard(tries_left=2)
    JpkiSession(card).verify_pin("1234")
    assert card.verifies_with_pin == [bytes.fromhex("002000800431323334")]
    assert card.tries_left == 3 and card.verified


@pytest.mark.parametrize(("tries", "left"), [(3, 2), (2, 1)])
def test_verify_pin_wrong(tries: int, left: int) -> None:
    card = FakeJpkiCard(tries_left=tries)
    with pytest.raises(PinError) as info:
        JpkiSession(card).verify_pin("9999")
    assert info.value.tries_left == left


@pytest.mark.parametrize("pin", ["123", "12345", "12a4", "", "１２３４", "12 4", "-123", "١٢٣٤"])
def test_verify_pin_format_sends_nothing(pin: str) -> None:
    card = FakeJpkiCard()
    with pytest.raises(PinFormatError) as info:
        JpkiSession(card).verify_pin(pin)
    assert card.sent == []
    if pin:
        assert pin not in str(info.value)


def test_last_try_refused_sends_no_pin() -> None:
    card = FakeJpkiCard(tries_left=1)
    with pytest.raises(LastTryRefused):
        JpkiSession(card).verify_pin("1234")
    assert card.verifies_with_pin == []
    assert card.tries_left == 1


def test_last_try_allowed() -> None:
    card = FakeJpkiCard(tries_left=1)
    JpkiSession(card).verify_pin("1234", allow_last_try=True)
    assert card.verified


@pytest.mark.parametrize("blocked_sw", [0x63C0, 0x6983, 0x6984])
def test_last_try_wrong_blocks(blocked_sw: int) -> None:
    card = FakeJpkiCard(tries_left=1, blocked_sw=blocked_sw)
    with pytest.raises(PinBlocked):
        JpkiSession(card).verify_pin("0000", allow_last_try=True)
    assert card.tries_left == 0


@pytest.mark.parametrize("blocked_sw", [0x63C0, 0x6983, 0x6984])
def test_blocked_pin_sends_no_pin(blocked_sw: int) -> None:
    card = FakeJpkiCard(tries_left=0, blocked_sw=blocked_sw)
    with pytest.raises(PinBlocked):
        JpkiSession(card).verify_pin("1234", allow_last_try=True)
    assert card.verifies_with_pin == []


@pytest.mark.parametrize("sw", [0x6983, 0x6984, 0x63C0])
def test_verify_answer_blocked_even_with_tries_reported(sw: int) -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"", 0x63C3), (b"", sw))
    with pytest.raises(PinBlocked):
        JpkiSession(t).verify_pin("1234")


def test_verify_unexpected_sw() -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"", 0x63C3), (b"", 0x6700))
    with pytest.raises(ApduError) as info:
        JpkiSession(t).verify_pin("1234")
    assert info.value.sw == 0x6700


def test_sign() -> None:
    card = FakeJpkiCard()
    session = JpkiSession(card)
    session.verify_pin("1234")
    digest_info = digest_info_sha256(b"x")
    assert session.sign(digest_info) == b"\x5a" * 256
    assert card.sent[-2] == bytes.fromhex("00A4020C020017")
    assert card.sent[-1] == bytes.fromhex("802A008033") + digest_info + b"\x00"


def test_sign_without_pin() -> None:
    card = FakeJpkiCard()
    with pytest.raises(PinNotVerified) as info:
        JpkiSession(card).sign(digest_info_sha256(b"x"))
    assert isinstance(info.value, ApduError) and info.value.sw == 0x6982


def test_sign_other_error() -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"", 0x6A80))
    with pytest.raises(ApduError) as info:
        JpkiSession(t).sign(digest_info_sha256(b"x"))
    assert info.value.sw == 0x6A80


def test_sign_t0_style_61xx() -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"", 0x6100), (b"\x01" * 256, 0x9000))
    assert JpkiSession(t).sign(digest_info_sha256(b"x")) == b"\x01" * 256
    assert t.sent[-1] == bytes.fromhex("00C0000000")


def test_sign_empty_answer() -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"", 0x9000))
    with pytest.raises(CardDataError):
        JpkiSession(t).sign(digest_info_sha256(b"x"))


@pytest.mark.parametrize("size", [0, 256])
def test_sign_refuses_bad_input(size: int) -> None:
    card = FakeJpkiCard()
    with pytest.raises(ValueError):
        JpkiSession(card).sign(bytes(size))
    assert card.sent == []


def test_read_returning_no_data_stops() -> None:
    select = (b"", 0x9000)
    t = ScriptedTransport(select, select, (b"\x30\x82\x01\x00", 0x9000), (b"", 0x9000))
    with pytest.raises(CardDataError, match="no data"):
        JpkiSession(t).read_auth_certificate()
