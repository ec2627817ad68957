"""The PC/SC adapter's error mapping and transaction handling, with pyscard's calls faked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drivers.card import pcsc
from drivers.card.errors import (
    CardDataError,
    CardError,
    CardRemoved,
    NoCard,
    NoReader,
    NotJpkiCard,
)

S = pcsc.scard  # the real smartcard.scard module; its functions are patched per test
OK = S.SCARD_S_SUCCESS


class FakeScard:
    """Patches the scard calls pcsc.py uses; records calls in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.establish = OK
        self.readers: tuple[int, list[str]] = (OK, ["Reader A", "Reader B"])
        self.connect = OK
        self.begin = OK
        self.transmit: list[tuple[int, list[int]]] = []
        self.status = OK
        self.status_changes: list[tuple[int, list[tuple[str, int, list[int]]]]] = []
        for name in (
            "SCardEstablishContext",
            "SCardReleaseContext",
            "SCardListReaders",
            "SCardGetStatusChange",
            "SCardConnect",
            "SCardBeginTransaction",
            "SCardEndTransaction",
            "SCardDisconnect",
            "SCardTransmit",
            "SCardStatus",
            "SCardCancel",
        ):
            monkeypatch.setattr(S, name, getattr(self, name))

    def SCardEstablishContext(self, scope: int) -> tuple[int, int]:
        self.calls.append("establish")
        return self.establish, 1

    def SCardReleaseContext(self, ctx: int) -> int:
        self.calls.append("release")
        return OK

    def SCardListReaders(self, ctx: int, groups: list[str]) -> tuple[int, list[str]]:
        return self.readers

    def SCardGetStatusChange(self, ctx: int, timeout: int, states: Any) -> Any:
        self.calls.append(f"status_change {timeout}")
        if not self.status_changes:
            time.sleep(min(timeout, 10) / 1000)
            return S.SCARD_E_TIMEOUT, [(n, s, []) for n, s in states]
        return self.status_changes.pop(0)

    def SCardConnect(self, ctx: int, reader: str, mode: int, proto: int) -> Any:
        self.calls.append(f"connect {reader}")
        return self.connect, 7, S.SCARD_PROTOCOL_T1

    def SCardBeginTransaction(self, hcard: int) -> int:
        self.calls.append("begin")
        return self.begin

    def SCardEndTransaction(self, hcard: int, disposition: int) -> int:
        self.calls.append(f"end {disposition}")
        return OK

    def SCardDisconnect(self, hcard: int, disposition: int) -> int:
        self.calls.append(f"disconnect {disposition}")
        return OK

    def SCardTransmit(self, hcard: int, pci: int, apdu: list[int]) -> Any:
        self.calls.append(f"transmit {bytes(apdu).hex()}")
        return self.transmit.pop(0)

    def SCardCancel(self, ctx: int) -> int:
        self.calls.append("cancel")
        return OK

    def SCardStatus(self, hcard: int) -> Any:
        return self.status, "Reader A", 0, 2, [0x3B, 0x00]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeScard]:
    yield FakeScard(monkeypatch)


def test_list_readers(fake: FakeScard) -> None:
    assert pcsc.list_readers() == ["Reader A", "Reader B"]
    assert fake.calls == ["establish", "release"]


def test_list_readers_none(fake: FakeScard) -> None:
    fake.readers = (S.SCARD_E_NO_READERS_AVAILABLE, [])
    assert pcsc.list_readers() == []


@pytest.mark.parametrize("code", [S.SCARD_E_NO_SERVICE, S.SCARD_E_SERVICE_STOPPED])
def test_list_readers_without_pcscd(fake: FakeScard, code: int) -> None:
    fake.establish = code
    with pytest.raises(NoReader, match="pcscd is not running"):
        pcsc.list_readers()


def test_list_readers_when_pcscd_dies(fake: FakeScard) -> None:
    fake.readers = (S.SCARD_E_NO_SERVICE, [])
    with pytest.raises(NoReader, match="pcscd"):
        pcsc.list_readers()
    assert fake.calls[-1] == "release"


def _transport() -> pcsc.PcscTransport:
    return pcsc.PcscTransport(7, S.SCARD_PROTOCOL_T1, "Reader A")


def test_transmit_splits_sw(fake: FakeScard) -> None:
    fake.transmit = [(OK, [0x01, 0x02, 0x90, 0x00])]
    assert _transport().transmit(b"\x00\xb0\x00\x00\x02") == (b"\x01\x02", 0x9000)


@pytest.mark.parametrize(
    "code",
    [
        S.SCARD_W_REMOVED_CARD,
        S.SCARD_E_NO_SMARTCARD,
        S.SCARD_W_RESET_CARD,
        S.SCARD_E_READER_UNAVAILABLE,
    ],
)
def test_transmit_removal_codes(fake: FakeScard, code: int) -> None:
    fake.transmit = [(code, [])]
    with pytest.raises(CardRemoved):
        _transport().transmit(b"\x00\xb0\x00\x00\x02")


@pytest.mark.parametrize(
    "code",
    [
        S.SCARD_E_NOT_TRANSACTED,  # what pcscd + vpcd answer when the card leaves mid-APDU
        S.SCARD_F_COMM_ERROR,
        S.SCARD_W_UNRESPONSIVE_CARD,
        S.SCARD_E_INVALID_HANDLE,
    ],
)
def test_transmit_lost_contact_is_removal(fake: FakeScard, code: int) -> None:
    fake.transmit = [(code, [])]
    with pytest.raises(CardRemoved):
        _transport().transmit(b"\x00\xb0\x00\x00\x02")


def test_transmit_when_pcscd_dies(fake: FakeScard) -> None:
    fake.transmit = [(S.SCARD_E_NO_SERVICE, [])]
    with pytest.raises(NoReader):
        _transport().transmit(b"\x00\xb0\x00\x00\x02")


def test_transmit_other_failure(fake: FakeScard) -> None:
    fake.transmit = [(S.SCARD_E_INSUFFICIENT_BUFFER, [])]
    with pytest.raises(CardError) as info:
        _transport().transmit(b"\x00\xb0\x00\x00\x02")
    assert not isinstance(info.value, CardRemoved)


def test_transmit_pyscard_exception_card_was_removed(
    fake: FakeScard, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> Any:
        raise pcsc.SmartcardException("Failed to transmit: Card was removed.")

    monkeypatch.setattr(S, "SCardTransmit", boom)
    with pytest.raises(CardRemoved):
        _transport().transmit(b"\x00\xb0\x00\x00\x02")


def test_transmit_without_sw(fake: FakeScard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcsc, "CARD_LEFT_WAIT_S", 0.0)
    fake.transmit = [(OK, [0x90])]
    fake.status_changes = [(OK, [("Reader A", S.SCARD_STATE_PRESENT, [])])]
    with pytest.raises(CardDataError, match="without a status word"):
        _transport().transmit(b"\x00\xb0\x00\x00\x02")


def test_an_empty_answer_from_a_card_that_left_is_removal(fake: FakeScard) -> None:
    fake.transmit = [(OK, [])]
    fake.status_changes = [(OK, [("Reader A", S.SCARD_STATE_EMPTY, [])])]
    transport = _transport()
    with pytest.raises(CardRemoved, match="left"):
        transport.transmit(b"\x00\xb0\x00\x00\x02")
    assert transport.lost


def test_transmit_after_close(fake: FakeScard) -> None:
    transport = _transport()
    transport.close()
    with pytest.raises(CardRemoved):
        transport.transmit(b"\x00\xb0\x00\x00\x02")
    assert fake.calls == []


LEAVE, RESET, UNPOWER = S.SCARD_LEAVE_CARD, S.SCARD_RESET_CARD, S.SCARD_UNPOWER_CARD
VERIFY = bytes.fromhex("002000800431323334")


def test_open_card_one_transaction(fake: FakeScard) -> None:
    fake.transmit = [(OK, [0x90, 0x00])]
    with pcsc.open_card("Reader B") as transport:
        assert transport.reader == "Reader B"
        transport.transmit(b"\x00\xa4\x04\x0c\x01\x00")
    assert fake.calls == [
        "establish",
        "connect Reader B",
        "begin",
        "transmit 00a4040c0100",
        f"end {LEAVE}",
        f"disconnect {LEAVE}",
        "release",
    ]
    with pytest.raises(CardRemoved):
        transport.transmit(b"\x00\xa4\x04\x0c\x01\x00")


def test_open_card_resets_and_powers_down_after_a_pin(fake: FakeScard) -> None:
    fake.transmit = [(OK, [0x63, 0xC3]), (OK, [0x90, 0x00])]
    with pcsc.open_card("Reader A") as transport:
        transport.transmit(bytes.fromhex("00200080"))
        assert not transport.pin_sent  # asking the counter sends no PIN
        transport.transmit(VERIFY)
        assert transport.pin_sent
    assert fake.calls[-3:] == [f"end {RESET}", f"disconnect {UNPOWER}", "release"]


def test_open_card_resets_even_when_the_body_fails(fake: FakeScard) -> None:
    fake.transmit = [(OK, [0x63, 0xC2])]
    with pytest.raises(RuntimeError), pcsc.open_card("Reader A") as transport:
        transport.transmit(VERIFY)
        raise RuntimeError("boom")
    assert fake.calls[-3:] == [f"end {RESET}", f"disconnect {UNPOWER}", "release"]


def test_open_card_leaves_a_lost_card_alone(fake: FakeScard) -> None:
    """pcscd 1.9.9 + vpcd wedge the slot if asked to reset a card that just vanished."""
    fake.transmit = [(OK, [0x90, 0x00]), (S.SCARD_E_NOT_TRANSACTED, [])]
    with pytest.raises(CardRemoved), pcsc.open_card("Reader A") as transport:
        transport.transmit(VERIFY)
        transport.transmit(b"\x00\xa4\x04\x0c\x01\x00")
    assert transport.lost
    assert fake.calls[-3:] == [f"end {LEAVE}", f"disconnect {LEAVE}", "release"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (S.SCARD_E_NO_SMARTCARD, NoCard),
        (S.SCARD_W_REMOVED_CARD, NoCard),
        (S.SCARD_E_UNKNOWN_READER, NoReader),
        (S.SCARD_W_UNRESPONSIVE_CARD, NotJpkiCard),
        (S.SCARD_E_NO_SERVICE, NoReader),
    ],
)
def test_open_card_connect_errors(fake: FakeScard, code: int, error: type[Exception]) -> None:
    fake.connect = code
    with pytest.raises(error), pcsc.open_card("Reader A"):
        pass
    assert fake.calls[-1] == "release"


def test_open_card_begin_transaction_fails(fake: FakeScard) -> None:
    fake.begin = S.SCARD_W_RESET_CARD
    with pytest.raises(CardRemoved), pcsc.open_card("Reader A"):
        pass
    assert fake.calls[-3:] == ["begin", f"disconnect {LEAVE}", "release"]


def test_open_card_picks_the_reader_with_a_card(fake: FakeScard) -> None:
    fake.status_changes = [
        (OK, [("Reader A", S.SCARD_STATE_EMPTY, []), ("Reader B", S.SCARD_STATE_PRESENT, [])])
    ]
    with pcsc.open_card() as transport:
        assert transport.reader == "Reader B"


def test_open_card_without_any_card(fake: FakeScard) -> None:
    fake.status_changes = [
        (OK, [("Reader A", S.SCARD_STATE_EMPTY, []), ("Reader B", S.SCARD_STATE_EMPTY, [])])
    ]
    with pytest.raises(NoCard), pcsc.open_card():
        pass


def test_wait_for_card_timeout(fake: FakeScard) -> None:
    with pytest.raises(TimeoutError):
        pcsc.wait_for_card(timeout_s=0.01)
    assert fake.calls[-1] == "release"


def test_wait_for_card_unknown_reader(fake: FakeScard) -> None:
    with pytest.raises(NoReader):
        pcsc.wait_for_card("Nope", timeout_s=0.01)


def test_wait_for_card_returns_the_reader(fake: FakeScard) -> None:
    present = S.SCARD_STATE_PRESENT | S.SCARD_STATE_CHANGED
    fake.status_changes = [
        (OK, [("Reader A", S.SCARD_STATE_EMPTY, []), ("Reader B", S.SCARD_STATE_EMPTY, [])]),
        (OK, [("Reader A", S.SCARD_STATE_EMPTY, []), ("Reader B", present, [])]),
    ]
    assert pcsc.wait_for_card(timeout_s=1) == "Reader B"


def test_wait_for_removal(fake: FakeScard) -> None:
    fake.status_changes = [
        (OK, [("Reader A", S.SCARD_STATE_PRESENT, [])]),
        (OK, [("Reader A", S.SCARD_STATE_EMPTY | S.SCARD_STATE_CHANGED, [])]),
    ]
    assert pcsc.wait_for_removal("Reader A", timeout_s=1) is True


def test_wait_for_removal_timeout(fake: FakeScard) -> None:
    fake.status_changes = [(OK, [("Reader A", S.SCARD_STATE_PRESENT, [])])]
    assert pcsc.wait_for_removal("Reader A", timeout_s=0.01) is False


def test_wait_for_removal_reader_gone(fake: FakeScard) -> None:
    fake.status_changes = [(S.SCARD_E_UNKNOWN_READER, [])]
    assert pcsc.wait_for_removal("Reader A", timeout_s=1) is True


def test_card_monitor_reports_changes_and_survives_callback_errors(fake: FakeScard) -> None:
    present, empty, changed = S.SCARD_STATE_PRESENT, S.SCARD_STATE_EMPTY, S.SCARD_STATE_CHANGED
    pnp = pcsc.PNP_NOTIFICATION
    fake.status_changes = [
        (
            OK,
            [("Reader A", present | changed, []), ("Reader B", empty | changed, []), (pnp, 0, [])],
        ),
        (
            OK,
            [("Reader A", empty | changed, []), ("Reader B", present | changed, []), (pnp, 0, [])],
        ),
    ]
    events: list[tuple[str, str]] = []
    done = threading.Event()

    def on_insert(reader: str) -> None:
        events.append(("insert", reader))
        if reader == "Reader A":
            raise RuntimeError("a buggy callback")
        done.set()

    def on_remove(reader: str) -> None:
        events.append(("remove", reader))

    monitor = pcsc.CardMonitor(on_insert, on_remove, poll_s=0.01)
    monitor.start()
    try:
        assert done.wait(5)
    finally:
        monitor.stop()
    assert events == [("insert", "Reader A"), ("remove", "Reader A"), ("insert", "Reader B")]
    assert "cancel" in fake.calls
    assert fake.calls[-1] == "release"


def test_card_monitor_one_reader_and_reader_unplugged(fake: FakeScard) -> None:
    fake.status_changes = [
        (OK, [("Reader B", S.SCARD_STATE_PRESENT, []), (pcsc.PNP_NOTIFICATION, 0, [])]),
    ]
    events: list[tuple[str, str]] = []
    inserted, removed = threading.Event(), threading.Event()

    def on_insert(reader: str) -> None:
        events.append(("insert", reader))
        inserted.set()

    def on_remove(reader: str) -> None:
        events.append(("remove", reader))
        removed.set()

    monitor = pcsc.CardMonitor(on_insert, on_remove, reader="Reader B", poll_s=0.01)
    monitor.start()
    try:
        assert inserted.wait(5)
        fake.readers = (OK, ["Reader A"])  # Reader B unplugged
        assert removed.wait(5)
    finally:
        monitor.stop()
    assert events == [("insert", "Reader B"), ("remove", "Reader B")]


# --- a card that never answers ---------------------------------------------------------


class MuteCard:
    """SCardTransmit that blocks until ``answer`` is set (pcsc-lite cannot cancel it)."""

    def __init__(self, fake: FakeScard, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = fake
        self.answer = threading.Event()
        monkeypatch.setattr(S, "SCardTransmit", self.transmit)

    def transmit(self, hcard: int, pci: int, apdu: list[int]) -> Any:
        self.fake.calls.append(f"transmit {bytes(apdu).hex()}")
        self.answer.wait(10)
        return S.SCARD_E_NOT_TRANSACTED, []


def test_transmit_within_gives_up_on_a_mute_card(
    fake: FakeScard, monkeypatch: pytest.MonkeyPatch
) -> None:
    mute = MuteCard(fake, monkeypatch)
    transport = _transport()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="did not answer within 0.2 s"):
        transport.transmit_within(b"\x00\xa4\x04\x0c\x01\x00", 0.2)
    assert time.monotonic() - start < 5  # the mute card holds it for 10 s: a hang bound
    assert transport.stuck
    with pytest.raises(CardRemoved):  # the connection is abandoned: nothing more goes out
        transport.transmit_within(b"\x00\xa4\x04\x0c\x01\x00", 0.2)
    assert not transport.wait_abandoned(0)
    mute.answer.set()
    assert transport.wait_abandoned(2)


def test_transmit_within_passes_answers_and_errors_through(fake: FakeScard) -> None:
    fake.transmit = [(OK, [0x01, 0x90, 0x00]), (S.SCARD_W_REMOVED_CARD, [])]
    transport = _transport()
    assert transport.transmit_within(b"\x00\xb0\x00\x00\x01", 5) == (b"\x01", 0x9000)
    with pytest.raises(CardRemoved):
        transport.transmit_within(b"\x00\xb0\x00\x00\x01", 5)
    assert not transport.stuck


def test_open_card_releases_an_abandoned_connection_in_the_background(
    fake: FakeScard, monkeypatch: pytest.MonkeyPatch
) -> None:
    mute = MuteCard(fake, monkeypatch)
    start = time.monotonic()
    with pytest.raises(TimeoutError), pcsc.open_card("Reader A") as transport:
        transport.transmit_within(VERIFY, 0.1)
    assert time.monotonic() - start < 5  # the caller does not wait the card's 10 s
    assert fake.calls[-1] == f"transmit {VERIFY.hex()}"  # nothing released yet
    mute.answer.set()
    deadline = time.monotonic() + 5
    while fake.calls[-1] != "release" and time.monotonic() < deadline:
        time.sleep(0.01)
    # a PIN went out, but the card is lost by now: leave it alone (see _must_reset)
    assert fake.calls[-3:] == [f"end {LEAVE}", f"disconnect {LEAVE}", "release"]
