"""The card stack through a real pcscd + vpcd + the virtual card (tests/fixtures/pcscd.py)."""

from __future__ import annotations

import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from drivers.card import (
    CardMonitor,
    CardRemoved,
    JpkiSession,
    LastTryRefused,
    NoReader,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinNotVerified,
    digest_info_sha256,
    list_readers,
    open_card,
    wait_for_card,
    wait_for_removal,
)
from drivers.vcard.holder import Holder
from drivers.vcard.vpcd import VpcdCardRunner
from tests.fixtures.pcscd import VPCD_READER, InsertCard, MakeHolder

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pcscd")]

JPKI_AID = bytes.fromhex("D392F000260100000001")
ALLOWED_EFS = {bytes.fromhex(f) for f in ("000A", "000B", "0018", "0017", "0006")}
WAIT_S = 10.0


def _tap(holder_pin: str = "1234", *, allow_last_try: bool = False) -> tuple[bytes, bytes]:
    """One whole counter tap in one transaction: certificate, PIN, signature."""
    with open_card(VPCD_READER, allow_virtual=True) as transport:
        session = JpkiSession(transport)
        session.select_jpki()
        cert = session.read_auth_certificate()
        session.pin_tries_left()
        session.verify_pin(holder_pin, allow_last_try=allow_last_try)
        return cert, session.sign(digest_info_sha256(b"challenge"))


def _tries_left() -> int:
    with open_card(VPCD_READER, allow_virtual=True) as transport:
        return JpkiSession(transport).pin_tries_left()


def _selects(apdus: list[bytes]) -> tuple[set[bytes], set[bytes], list[bytes]]:
    """(AIDs selected, EFs selected, other SELECTs) found in an APDU log."""
    aids, efs, others = set(), set(), []
    for apdu in apdus:
        if len(apdu) < 4 or apdu[1] != 0xA4:
            continue
        data = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if apdu[2] == 0x04:
            aids.add(data)
        elif apdu[2] == 0x02:
            efs.add(data)
        else:
            others.append(apdu)
    return aids, efs, others


def _insert(
    insert_card: InsertCard, holder: Holder, remove_after_apdus: int | None = None
) -> VpcdCardRunner:
    runner = insert_card(holder, remove_after_apdus=remove_after_apdus)
    assert wait_for_card(VPCD_READER, timeout_s=WAIT_S) == VPCD_READER
    return runner


def test_list_readers_includes_vpcd() -> None:
    assert VPCD_READER in list_readers()


def test_wait_for_card(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    insert_card(make_vcard_holder())
    assert wait_for_card(VPCD_READER, timeout_s=WAIT_S) == VPCD_READER
    assert wait_for_card(timeout_s=WAIT_S) in list_readers()


def test_wait_for_card_timeout() -> None:
    assert wait_for_removal(VPCD_READER, timeout_s=WAIT_S)
    with pytest.raises(TimeoutError):
        wait_for_card(VPCD_READER, timeout_s=0.3)


def test_wait_for_card_unknown_reader() -> None:
    with pytest.raises(NoReader):
        wait_for_card("No Such Reader 00 00", timeout_s=0.3)


def test_wait_for_removal(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    runner = _insert(insert_card, make_vcard_holder())
    assert wait_for_removal(VPCD_READER, timeout_s=0.3) is False
    runner.remove()
    assert wait_for_removal(VPCD_READER, timeout_s=WAIT_S) is True


def test_full_tap(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    holder = make_vcard_holder()
    runner = _insert(insert_card, holder)
    with open_card(VPCD_READER, allow_virtual=True) as transport:
        assert transport.atr()
        session = JpkiSession(transport)
        session.select_jpki()
        cert = session.read_auth_certificate()
        ca = session.read_auth_ca_certificate()
        assert session.pin_tries_left() == 3
        session.verify_pin("1234")
        signature = session.sign(digest_info_sha256(b"x"))
    assert cert == holder.certificate_der
    assert ca == holder.ca_certificate_der
    public_key = x509.load_der_x509_certificate(cert).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signature, b"x", padding.PKCS1v15(), hashes.SHA256())

    aids, efs, others = _selects(runner.apdu_log)
    assert aids == {JPKI_AID}
    assert efs <= ALLOWED_EFS
    assert others == []
    assert not [a for a in runner.apdu_log if a[1] == 0xB0 and a[2] & 0x80]


def test_pin_state_ends_with_the_tap(
    make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    _insert(insert_card, make_vcard_holder())
    _tap()
    with open_card(VPCD_READER, allow_virtual=True) as transport, pytest.raises(PinNotVerified):
        JpkiSession(transport).sign(digest_info_sha256(b"x"))


@pytest.mark.parametrize("after", [1, 3, 5])
def test_card_removed_mid_read(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, after: int
) -> None:
    _insert(insert_card, make_vcard_holder(), remove_after_apdus=after)
    with pytest.raises(CardRemoved), open_card(VPCD_READER, allow_virtual=True) as transport:
        JpkiSession(transport).read_auth_certificate()
    assert transport.lost


def test_card_removed_between_pin_and_signature_then_next_card_works(
    make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    # select AP, select 0018, counter query, VERIFY: the card leaves before the signature.
    runner = _insert(insert_card, make_vcard_holder(), remove_after_apdus=4)
    with pytest.raises(CardRemoved), open_card(VPCD_READER, allow_virtual=True) as transport:
        session = JpkiSession(transport)
        session.select_jpki()
        session.verify_pin("1234")
        session.sign(digest_info_sha256(b"x"))
    assert runner.wait_removed(WAIT_S)
    assert wait_for_removal(VPCD_READER, timeout_s=WAIT_S)
    # The slot still works: pcscd sees the next card and a whole tap succeeds.
    holder = make_vcard_holder()
    second = _insert(insert_card, holder)
    cert, _ = _tap()
    assert cert == holder.certificate_der
    second.remove()  # the fixture's teardown waits for an empty slot once per runner


def test_wrong_pin(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    _insert(insert_card, make_vcard_holder())
    with pytest.raises(PinError) as info:
        _tap("9999")
    assert info.value.tries_left == 2
    assert _tries_left() == 2
    _tap("1234")
    assert _tries_left() == 3


def test_wrong_pins_until_blocked(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    runner = _insert(insert_card, make_vcard_holder())
    for left in (2, 1):
        with pytest.raises(PinError) as info:
            _tap("0000")
        assert info.value.tries_left == left
    before = len(runner.apdu_log)
    with pytest.raises(LastTryRefused):
        _tap("1234")
    assert not [a for a in runner.apdu_log[before:] if a[1] == 0x20 and len(a) > 4]
    with pytest.raises(PinBlocked):
        _tap("0000", allow_last_try=True)
    assert _tries_left() == 0
    with pytest.raises(PinBlocked):
        _tap("1234", allow_last_try=True)


def test_blocked_card(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    runner = _insert(insert_card, make_vcard_holder(tries_left=0))
    assert _tries_left() == 0
    with pytest.raises(PinBlocked):
        _tap("1234", allow_last_try=True)
    assert not [a for a in runner.apdu_log if a[1] == 0x20 and len(a) > 4]


def test_card_without_jpki(make_vcard_holder: MakeHolder, insert_card: InsertCard) -> None:
    _insert(insert_card, make_vcard_holder(jpki=False))
    with pytest.raises(NotJpkiCard), open_card(VPCD_READER, allow_virtual=True) as transport:
        JpkiSession(transport).select_jpki()


def test_card_monitor_sees_insert_and_remove(
    make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    assert wait_for_removal(VPCD_READER, timeout_s=WAIT_S)
    events: list[tuple[str, str]] = []
    inserted, removed = threading.Event(), threading.Event()

    def on_insert(reader: str) -> None:
        events.append(("insert", reader))
        inserted.set()

    def on_remove(reader: str) -> None:
        events.append(("remove", reader))
        removed.set()

    monitor = CardMonitor(on_insert, on_remove, reader=VPCD_READER)
    monitor.start()
    try:
        runner = insert_card(make_vcard_holder())
        assert inserted.wait(WAIT_S)
        runner.remove()
        assert removed.wait(WAIT_S)
    finally:
        monitor.stop()
    assert events == [("insert", VPCD_READER), ("remove", VPCD_READER)]
