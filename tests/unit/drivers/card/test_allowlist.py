"""The allow-list: forbidden APs and EFs never reach the card."""

from __future__ import annotations

import pytest

from drivers.card import allowlist
from drivers.card import apdu as A
from drivers.card.allowlist import GuardedTransport
from drivers.card.errors import CardError, ForbiddenCommand, ForbiddenSelect
from drivers.card.jpki import JPKI_AID, JpkiSession
from tests.unit.drivers.card.fakes import FakeJpkiCard, RecordingTransport, der_blob

# From JPKI.md, spelled out here rather than taken from the module under test.
FORBIDDEN_AIDS = [
    "D3921000310001010408",  # card-info input helper AP (individual number)
    "D3921000310001010402",  # card-face AP (photo, name, address, number)
    "D3921000310001010100",
]
FORBIDDEN_EFS = ["0001", "0002", "001A", "001B"]
ALLOWED_EFS = ["000A", "000B", "0018", "0017", "0006"]


def _selected_guard() -> tuple[GuardedTransport, RecordingTransport]:
    card = RecordingTransport()
    guard = GuardedTransport(card)
    guard.transmit(A.select_aid(JPKI_AID))
    return guard, card


def test_module_lists_match_jpki_md() -> None:
    assert {a.hex().upper() for a in allowlist.FORBIDDEN_AIDS} == set(FORBIDDEN_AIDS)
    assert {f.hex().upper() for f in allowlist.FORBIDDEN_EFS} == set(FORBIDDEN_EFS)
    assert {f.hex().upper() for f in allowlist.ALLOWED_EFS} == set(ALLOWED_EFS)
    assert allowlist.ALLOWED_AIDS == {JPKI_AID}


@pytest.mark.parametrize("aid", FORBIDDEN_AIDS + ["A000000003000000", "D392F00026010000000100"])
def test_forbidden_aid_never_reaches_the_card(aid: str) -> None:
    card = RecordingTransport()
    guard = GuardedTransport(card)
    with pytest.raises(ForbiddenSelect):
        guard.transmit(A.select_aid(bytes.fromhex(aid)))
    assert card.sent == []


@pytest.mark.parametrize("fid", FORBIDDEN_EFS + ["3F00", "2F01", "0019", "000C"])
def test_forbidden_ef_never_reaches_the_card(fid: str) -> None:
    guard, card = _selected_guard()
    with pytest.raises(ForbiddenSelect):
        guard.transmit(A.select_ef(bytes.fromhex(fid)))
    assert len(card.sent) == 1  # only the JPKI select


@pytest.mark.parametrize("fid", FORBIDDEN_EFS)
@pytest.mark.parametrize("p1", [0x00, 0x01, 0x02, 0x08, 0x09])
def test_forbidden_ef_by_any_select_mode(fid: str, p1: int) -> None:
    guard, card = _selected_guard()
    with pytest.raises(ForbiddenSelect):
        guard.transmit(A.build_apdu(0x00, 0xA4, p1, 0x0C, bytes.fromhex(fid)))
    assert len(card.sent) == 1


@pytest.mark.parametrize("aid", FORBIDDEN_AIDS)
def test_forbidden_aid_by_other_cla_or_p2(aid: str) -> None:
    guard, card = _selected_guard()
    for cla, p2 in ((0x00, 0x00), (0x01, 0x0C), (0x0C, 0x0C), (0x80, 0x04)):
        with pytest.raises(CardError):
            guard.transmit(A.build_apdu(cla, 0xA4, 0x04, p2, bytes.fromhex(aid)))
    assert len(card.sent) == 1


@pytest.mark.parametrize("fid", ALLOWED_EFS)
def test_allowed_ef_passes(fid: str) -> None:
    guard, card = _selected_guard()
    guard.transmit(A.select_ef(bytes.fromhex(fid)))
    assert card.sent[-1] == A.select_ef(bytes.fromhex(fid))


def test_ef_select_needs_the_jpki_ap_first() -> None:
    card = RecordingTransport()
    guard = GuardedTransport(card)
    with pytest.raises(ForbiddenSelect):
        guard.transmit(A.select_ef(bytes.fromhex("000A")))
    assert card.sent == []


def test_failed_ap_select_does_not_open_the_efs() -> None:
    card = RecordingTransport(lambda apdu: (b"", 0x6A82))
    guard = GuardedTransport(card)
    guard.transmit(A.select_aid(JPKI_AID))
    with pytest.raises(ForbiddenSelect):
        guard.transmit(A.select_ef(bytes.fromhex("000A")))
    assert len(card.sent) == 1


@pytest.mark.parametrize(
    "raw",
    [
        "00B0810000",  # READ BINARY by short EF identifier 1: no SELECT needed
        "00B1000104540200",  # READ BINARY odd INS: file id in P1-P2
        "00D6000001FF",  # UPDATE BINARY
        "0070000001",  # MANAGE CHANNEL
        "00A40000",  # select MF
        "00A40300",  # select parent DF
        "00CA010000",  # GET DATA
        "0CB0000004",  # secure messaging
        "00A4040C00000A",  # extended length
        "00",  # garbage
    ],
)
def test_other_commands_are_refused(raw: str) -> None:
    guard, card = _selected_guard()
    with pytest.raises((ForbiddenCommand, ForbiddenSelect)):
        guard.transmit(bytes.fromhex(raw))
    assert len(card.sent) == 1


@pytest.mark.parametrize("fid", FORBIDDEN_EFS)
def test_session_cannot_select_forbidden_ef_even_by_a_bug(fid: str) -> None:
    card = FakeJpkiCard()
    session = JpkiSession(card)
    session.select_jpki()
    with pytest.raises(ForbiddenSelect):
        session._select_ef(bytes.fromhex(fid))  # simulating a bug inside the session
    assert all(apdu[1] != 0xA4 or apdu[5:] != bytes.fromhex(fid) for apdu in card.sent)


@pytest.mark.parametrize("aid", FORBIDDEN_AIDS)
def test_session_cannot_select_forbidden_aid_even_by_a_bug(
    aid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import drivers.card.jpki as jpki_module

    card = FakeJpkiCard()
    monkeypatch.setattr(jpki_module, "JPKI_AID", bytes.fromhex(aid))
    session = JpkiSession(card)
    with pytest.raises(ForbiddenSelect):
        session.select_jpki()
    assert card.sent == []


def test_a_full_tap_selects_only_allowed_files() -> None:
    card = FakeJpkiCard(files={0x000A: der_blob(1000), 0x000B: der_blob(900)})
    session = JpkiSession(card)
    session.read_auth_certificate()
    session.read_auth_ca_certificate()
    session.pin_tries_left()
    session.verify_pin("1234")
    session.sign(b"\x30" * 51)
    selects = [a for a in card.sent if a[1] == 0xA4]
    assert {a[5:].hex().upper() for a in selects if a[2] == 0x02} <= set(ALLOWED_EFS)
    assert {a[5:] for a in selects if a[2] == 0x04} == {JPKI_AID}
