"""APDU builders, parser and 61xx/6Cxx handling."""

from __future__ import annotations

import pytest

from drivers.card import apdu as A
from drivers.card.errors import CardDataError
from tests.unit.drivers.card.fakes import JPKI_AID, ScriptedTransport


def test_select_aid() -> None:
    assert A.select_aid(JPKI_AID) == bytes.fromhex("00A4040C0AD392F000260100000001")


def test_select_ef() -> None:
    assert A.select_ef(b"\x00\x0a") == bytes.fromhex("00A4020C02000A")


@pytest.mark.parametrize(
    ("offset", "le", "expected"),
    [(0, 4, "00B0000004"), (4, 256, "00B0000400"), (0x1234, 17, "00B0123411")],
)
def test_read_binary(offset: int, le: int, expected: str) -> None:
    assert A.read_binary(offset, le) == bytes.fromhex(expected)


def test_read_binary_limits() -> None:
    with pytest.raises(ValueError):
        A.read_binary(0x8000, 1)
    with pytest.raises(ValueError):
        A.read_binary(0, 257)
    with pytest.raises(ValueError):
        A.read_binary(0, 0)


def test_verify() -> None:
    assert A.verify() == bytes.fromhex("00200080")
    assert A.verify(b"1234") == bytes.fromhex("002000800431323334")


def test_sign() -> None:
    digest_info = bytes(range(51))
    apdu = A.sign(digest_info)
    assert apdu[:5] == bytes.fromhex("802A008033")
    assert apdu[5:-1] == digest_info
    assert apdu[-1] == 0x00
    with pytest.raises(ValueError):
        A.sign(b"")


def test_get_response() -> None:
    assert A.get_response(0x10) == bytes.fromhex("00C0000010")
    assert A.get_response(256) == bytes.fromhex("00C0000000")


def test_build_apdu_refuses_extended() -> None:
    with pytest.raises(ValueError):
        A.build_apdu(0, 0xA4, 4, 0, bytes(256))
    with pytest.raises(ValueError):
        A.build_apdu(0x100, 0xA4, 4, 0)


@pytest.mark.parametrize(
    ("raw", "command"),
    [
        ("00200080", A.Command(0, 0x20, 0, 0x80)),
        ("00B0000000", A.Command(0, 0xB0, 0, 0, le=256)),
        ("00A4020C02000A", A.Command(0, 0xA4, 2, 0x0C, data=b"\x00\x0a")),
        ("802A008002010200", A.Command(0x80, 0x2A, 0, 0x80, data=b"\x01\x02", le=256)),
    ],
)
def test_parse_apdu(raw: str, command: A.Command) -> None:
    assert A.parse_apdu(bytes.fromhex(raw)) == command


@pytest.mark.parametrize("raw", ["00A4", "00A4040000000A", "00A4040C05D392"])
def test_parse_apdu_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        A.parse_apdu(bytes.fromhex(raw))


def test_with_le() -> None:
    assert A.with_le(bytes.fromhex("00B0000004"), 2) == bytes.fromhex("00B0000002")
    assert A.with_le(bytes.fromhex("00200080"), 5) == bytes.fromhex("0020008005")


@pytest.mark.parametrize(
    ("sw", "fragment"),
    [
        (0x9000, "success"),
        (0x6A82, "not found"),
        (0x63C2, "2 tries left"),
        (0x6110, "16 more"),
        (0x6C04, "exact length is 4"),
        (0x6F12, "unexpected"),
    ],
)
def test_describe_sw(sw: int, fragment: str) -> None:
    text = A.describe_sw(sw)
    assert text.startswith(f"{sw:04X}")
    assert fragment in text


def test_transmit_checked_plain() -> None:
    t = ScriptedTransport((b"\x01\x02", 0x9000))
    assert A.transmit_checked(t, A.read_binary(0, 2)) == (b"\x01\x02", 0x9000)
    assert len(t.sent) == 1


def test_transmit_checked_61xx_loop() -> None:
    t = ScriptedTransport((b"ab", 0x6103), (b"cde", 0x6100), (b"f" * 256, 0x9000))
    data, sw = A.transmit_checked(t, A.read_binary(0, 256))
    assert (data, sw) == (b"abcde" + b"f" * 256, 0x9000)
    assert t.sent[1:] == [bytes.fromhex("00C0000003"), bytes.fromhex("00C0000000")]


def test_transmit_checked_6cxx_repeats_with_le() -> None:
    t = ScriptedTransport((b"", 0x6C02), (b"xy", 0x9000))
    assert A.transmit_checked(t, A.read_binary(0, 4)) == (b"xy", 0x9000)
    assert t.sent == [bytes.fromhex("00B0000004"), bytes.fromhex("00B0000002")]


def test_transmit_checked_6cxx_then_61xx() -> None:
    t = ScriptedTransport((b"", 0x6C00), (b"a", 0x6101), (b"b", 0x9000))
    assert A.transmit_checked(t, A.verify()) == (b"ab", 0x9000)
    assert t.sent[1] == bytes.fromhex("0020008000")


def test_transmit_checked_6cxx_during_get_response() -> None:
    t = ScriptedTransport((b"a", 0x6105), (b"", 0x6C02), (b"bc", 0x9000))
    assert A.transmit_checked(t, A.read_binary(0, 1)) == (b"abc", 0x9000)
    assert t.sent[2] == bytes.fromhex("00C0000002")


def test_transmit_checked_repeated_6cxx_is_an_error() -> None:
    t = ScriptedTransport((b"", 0x6C02), (b"", 0x6C03))
    with pytest.raises(CardDataError):
        A.transmit_checked(t, A.read_binary(0, 4))


def test_transmit_checked_passes_other_sw_through() -> None:
    t = ScriptedTransport((b"", 0x63C2))
    assert A.transmit_checked(t, A.verify()) == (b"", 0x63C2)


def test_transmit_checked_caps_endless_61xx() -> None:
    t = ScriptedTransport(*[(b"z", 0x6101)] * (A.MAX_GET_RESPONSE_ROUNDS + 5))
    with pytest.raises(CardDataError):
        A.transmit_checked(t, A.read_binary(0, 1))
    assert len(t.sent) == A.MAX_GET_RESPONSE_ROUNDS + 1


def test_transmit_checked_caps_total_size() -> None:
    t = ScriptedTransport(*[(b"z" * 256, 0x6100)] * (A.MAX_GET_RESPONSE_ROUNDS + 5))
    with pytest.raises(CardDataError):
        A.transmit_checked(t, A.read_binary(0, 256))
    assert len(t.sent) * 256 <= A.MAX_RESPONSE_BYTES + 256
