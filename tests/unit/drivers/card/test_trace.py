"""TRAFFIC logging: every APDU in hex, the PIN never."""

from __future__ import annotations

import logging

import pytest

from drivers.card import trace
from drivers.card.errors import PinError
from drivers.card.jpki import JpkiSession, digest_info_sha256
from tests.unit.drivers.card.fakes import FakeJpkiCard, der_blob

PIN = "4739"


def _pin_forms(pin: str) -> list[str]:
    raw = pin.encode()
    return [pin, raw.hex(), raw.hex().upper(), raw.hex(" "), raw.hex(" ").upper()]


def test_level_is_registered_apart_from_uvicorn_s_trace() -> None:
    import uvicorn.config

    # what uvicorn does when it configures logging in the same process (the demo's
    # embedded platform): our level keeps its name
    logging.addLevelName(uvicorn.config.TRACE_LOG_LEVEL, "TRACE")
    assert trace.TRAFFIC == 7
    assert logging.getLevelName(trace.TRAFFIC) == "TRAFFIC"
    assert logging.DEBUG > trace.TRAFFIC > uvicorn.config.TRACE_LOG_LEVEL


def test_format_command_redacts_verify_data() -> None:
    assert trace.format_command(bytes.fromhex("002000800434373339")) == "00 20 00 80 04 **"
    assert trace.format_command(bytes.fromhex("0020008034")) == "00 20 00 80 **"
    assert trace.format_command(bytes.fromhex("00200080")) == "00 20 00 80"
    assert trace.format_command(bytes.fromhex("00A4020C02000A")) == "00 A4 02 0C 02 00 0A"


def test_format_response() -> None:
    assert trace.format_response(b"", 0x63C3) == "63C3"
    assert trace.format_response(b"\x30\x82", 0x9000) == "30 82 9000"


def test_full_tap_logs_traffic_but_never_the_pin(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(trace.TRAFFIC)
    card = FakeJpkiCard(pin=PIN, files={0x000A: der_blob(600)})
    session = JpkiSession(card)
    session.read_auth_certificate()
    with pytest.raises(PinError):
        session.verify_pin("0000")
    session.verify_pin(PIN)
    session.sign(digest_info_sha256(b"x"))
    traffic = [r for r in caplog.records if r.levelno == trace.TRAFFIC]
    assert len(traffic) == 2 * len(card.sent)
    messages = [r.getMessage() for r in caplog.records]
    assert "> 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01" in messages
    assert messages.count("> 00 20 00 80 04 **") == 2
    text = "\n".join(messages) + caplog.text
    for form in _pin_forms(PIN) + _pin_forms("0000")[1:]:
        assert form not in text


def test_nothing_logged_above_traffic(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    card = FakeJpkiCard(pin=PIN)
    JpkiSession(card).verify_pin(PIN)
    assert not [r for r in caplog.records if r.name == trace.logger.name]
