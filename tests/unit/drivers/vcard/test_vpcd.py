"""vpcd framing against a tiny fake vpcd: a real TCP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from drivers.vcard.card import JPKI_AID, VirtualJpkiCard
from drivers.vcard.holder import Holder
from drivers.vcard.vpcd import VpcdCardRunner
from tests.fixtures.pcscd import MakeHolder
from tests.unit.drivers.vcard.fake_vpcd import TIMEOUT_S, FakeVpcd

SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID


@pytest.fixture
def vpcd() -> Iterator[FakeVpcd]:
    fake = FakeVpcd()
    yield fake
    fake.close()


@pytest.fixture
def holder(make_vcard_holder: MakeHolder) -> Holder:
    return make_vcard_holder()


@pytest.fixture
def runner(holder: Holder, vpcd: FakeVpcd) -> Iterator[VpcdCardRunner]:
    runner = VpcdCardRunner(VirtualJpkiCard(holder), port=vpcd.port)
    yield runner
    runner.remove()


def test_atr_power_and_apdus(runner: VpcdCardRunner, vpcd: FakeVpcd) -> None:
    with runner:
        vpcd.accept()
        assert runner.inserted
        assert vpcd.exchange(b"\x04") == VirtualJpkiCard.ATR
        vpcd.send(b"\x01")  # power on: no reply
        assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
        assert vpcd.exchange(bytes.fromhex("00A4020C020018")) == b"\x90\x00"
        assert vpcd.exchange(bytes.fromhex("00200080")) == b"\x63\xc3"
        assert vpcd.exchange(b"\x04", split=True) == VirtualJpkiCard.ATR
        assert vpcd.exchange(bytes.fromhex("00200080"), split=True) == b"\x63\xc3"
    assert not runner.inserted
    assert (
        runner.apdu_log
        == [SELECT_JPKI, bytes.fromhex("00A4020C020018")] + [bytes.fromhex("00200080")] * 2
    )
    assert vpcd.recv() is None  # removal closes the socket


@pytest.mark.parametrize("code", [b"\x00", b"\x02"])
def test_power_off_and_reset_clear_selection(
    runner: VpcdCardRunner, vpcd: FakeVpcd, code: bytes
) -> None:
    runner.start()
    vpcd.accept()
    vpcd.send(b"\x01")
    assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
    vpcd.send(code)
    vpcd.send(b"\x01")
    assert vpcd.exchange(bytes.fromhex("00A4020C02000A")) == b"\x6a\x82"


def test_remove_after_apdus(runner: VpcdCardRunner, vpcd: FakeVpcd) -> None:
    runner.remove_after_apdus = 2
    runner.start()
    vpcd.accept()
    assert vpcd.exchange(b"\x04") == VirtualJpkiCard.ATR  # control codes do not count
    assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
    assert vpcd.exchange(bytes.fromhex("00A4020C02000A")) == b"\x90\x00"
    assert vpcd.recv() is None  # pulled out half-way
    assert runner.wait_removed(TIMEOUT_S)
    assert len(runner.apdu_log) == 2


def test_vpcd_going_away_removes_the_card(runner: VpcdCardRunner, vpcd: FakeVpcd) -> None:
    runner.start()
    vpcd.accept().close()
    assert runner.wait_removed(TIMEOUT_S)
    assert not runner.inserted


def test_insert_again(runner: VpcdCardRunner, vpcd: FakeVpcd) -> None:
    runner.start()
    first = vpcd.accept()
    runner.remove()
    first.close()
    runner.insert()
    vpcd.accept()
    vpcd.send(b"\x01")
    assert vpcd.exchange(SELECT_JPKI) == b"\x90\x00"
    with pytest.raises(RuntimeError):
        runner.start()


def test_unreachable_vpcd(holder: Holder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    runner = VpcdCardRunner(VirtualJpkiCard(holder), port=port)
    with pytest.raises(OSError):
        runner.start()
    assert not runner.inserted
