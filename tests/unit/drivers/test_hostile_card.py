"""The hostile virtual card (drivers/vcard/hostile.py): each mode's bytes, and what the
driver (``JpkiSession`` + ``DeadlineTransport``) makes of it, in process, without pcscd."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from drivers.card.apdu import MAX_GET_RESPONSE_ROUNDS, MAX_RESPONSE_BYTES
from drivers.card.deadline import DeadlineTransport
from drivers.card.errors import ApduError, CardDataError, CardError, CardTooSlow
from drivers.card.jpki import JPKI_AID, JpkiSession, digest_info_sha256
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.cli import cli
from drivers.vcard.holder import Holder, make_ca, make_holder
from drivers.vcard.hostile import (
    EXTRA_BYTES,
    GARBAGE_SWS,
    HostileJpkiCard,
    HostileMode,
    oversized,
    truncated,
)

SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID
SELECT_CERT = bytes.fromhex("00A4020C02000A")


class CardTransport:
    """The card's ``process`` as a Transport, counting APDUs."""

    def __init__(self, card: VirtualJpkiCard) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(bytes(apdu))
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


@pytest.fixture(scope="module")
def holder(tmp_path_factory: pytest.TempPathFactory) -> Holder:
    ca = make_ca(tmp_path_factory.mktemp("ca"))
    return make_holder(tmp_path_factory.mktemp("holder"), ca)


def hostile(holder: Holder, mode: HostileMode, **options: float) -> HostileJpkiCard:
    card = HostileJpkiCard(holder, mode, on_pin_change=lambda _: None, **options)
    card.power_on()
    return card


def sw(answer: bytes) -> int:
    return int.from_bytes(answer[-2:], "big")


def tap(card: VirtualJpkiCard, **session: float) -> bytes:
    """A whole counter tap; returns the signature."""
    s = JpkiSession(CardTransport(card), **session)
    s.select_jpki()
    s.read_auth_certificate()
    s.verify_pin("1234")
    return s.sign(digest_info_sha256(b"challenge"))


# --- the bytes of each mode --------------------------------------------------------------


def test_every_mode_has_a_cli_name() -> None:
    assert {m.value for m in HostileMode} == {
        "wrong-length", "garbage-sw", "truncated-cert", "oversized-cert", "endless-61xx",
        "slow", "mute",
    }  # fmt: skip


def test_wrong_length_appends_bytes_to_read_binary_only(holder: Holder) -> None:
    card = hostile(holder, HostileMode.WRONG_LENGTH)
    assert sw(card.process(SELECT_JPKI)) == 0x9000
    assert card.process(SELECT_CERT) == b"\x90\x00"
    answer = card.process(bytes.fromhex("00B0000004"))
    assert answer == holder.certificate_der[:4] + EXTRA_BYTES + b"\x90\x00"


def test_garbage_sw_keeps_the_jpki_select_and_spoils_the_rest(holder: Holder) -> None:
    card = hostile(holder, HostileMode.GARBAGE_SW)
    assert card.process(SELECT_JPKI) == b"\x90\x00"
    answers = [sw(card.process(SELECT_CERT)) for _ in GARBAGE_SWS]
    assert answers == list(GARBAGE_SWS)
    assert all(s >> 8 not in (0x61, 0x6C, 0x90, 0x63) for s in GARBAGE_SWS)


def test_truncated_cert_keeps_the_header_and_loses_the_tail(holder: Holder) -> None:
    der = holder.certificate_der
    assert truncated(der) == der[: len(der) // 2]
    card = hostile(holder, HostileMode.TRUNCATED_CERT)
    card.process(SELECT_JPKI)
    card.process(SELECT_CERT)
    header = card.process(bytes.fromhex("00B0000004"))
    assert header[:4] == der[:4]  # still announces the whole certificate
    offset = len(der) // 2
    past_end = card.process(bytes([0, 0xB0, offset >> 8, offset & 0xFF, 16]))
    assert sw(past_end) == 0x6B00


def test_oversized_cert_announces_65539_bytes(holder: Holder) -> None:
    content = oversized(holder.certificate_der)
    assert content[:4] == b"\x30\x82\xff\xff"
    assert len(content) == 10_240
    card = hostile(holder, HostileMode.OVERSIZED_CERT)
    card.process(SELECT_JPKI)
    card.process(SELECT_CERT)
    assert card.process(bytes.fromhex("00B0000004")) == b"\x30\x82\xff\xff\x90\x00"


def test_only_the_user_auth_certificate_is_spoiled(holder: Holder) -> None:
    card = hostile(holder, HostileMode.TRUNCATED_CERT)
    s = JpkiSession(CardTransport(card))
    assert s.read_auth_ca_certificate() == holder.ca_certificate_der


def test_endless_61xx_answers_more_forever(holder: Holder) -> None:
    card = hostile(holder, HostileMode.ENDLESS_61XX)
    assert card.process(SELECT_JPKI) == b"\x61\x00"
    for _ in range(3):
        assert card.process(bytes.fromhex("00C0000000")) == bytes(256) + b"\x61\x00"


def test_slow_waits_before_each_answer(holder: Holder) -> None:
    card = hostile(holder, HostileMode.SLOW, delay_s=0.2)
    start = time.monotonic()
    assert card.process(SELECT_JPKI) == b"\x90\x00"
    assert time.monotonic() - start >= 0.2
    assert card.atr == VirtualJpkiCard.ATR  # the ATR (pcscd's presence poll) stays quick


@pytest.mark.parametrize("mode", [HostileMode.SLOW, HostileMode.MUTE])
def test_unplugging_wakes_a_slow_or_mute_card(holder: Holder, mode: HostileMode) -> None:
    card = hostile(holder, mode, delay_s=60)
    answers: list[bytes] = []

    def answer() -> None:
        answers.append(card.process(SELECT_JPKI))

    worker = threading.Thread(target=answer)
    worker.start()
    time.sleep(0.1)
    assert answers == []
    card.unplug()
    worker.join(2)
    assert not worker.is_alive()
    card.power_on()  # inserted again: hostile again
    start = time.monotonic()
    worker = threading.Thread(target=answer, daemon=True)
    worker.start()
    worker.join(0.1)
    assert worker.is_alive()
    card.unplug()
    worker.join(2)
    assert time.monotonic() - start < 2


# --- what the driver makes of each mode --------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error", "words"),
    [
        (HostileMode.WRONG_LENGTH, CardDataError, "more than the 4 asked for"),
        (HostileMode.GARBAGE_SW, ApduError, "1234 (unexpected status word)"),
        (HostileMode.TRUNCATED_CERT, CardDataError, "EF 000A is truncated"),
        (HostileMode.OVERSIZED_CERT, CardDataError, "announces 65539 bytes"),
        (HostileMode.ENDLESS_61XX, CardDataError, "61xx"),
    ],
)
def test_the_driver_names_what_is_wrong(
    holder: Holder, mode: HostileMode, error: type[CardError], words: str
) -> None:
    card = hostile(holder, mode)
    with pytest.raises(error) as info:
        tap(card)
    assert words in str(info.value)
    assert holder.tries_left == 3  # no PIN was ever sent


def test_the_messages_say_what_is_wrong(holder: Holder) -> None:
    messages = {}
    for mode in (HostileMode.TRUNCATED_CERT, HostileMode.OVERSIZED_CERT, HostileMode.GARBAGE_SW):
        with pytest.raises(CardError) as info:
            tap(hostile(holder, mode))
        messages[mode] = str(info.value)
    total = len(holder.certificate_der)
    assert f"announces {total} bytes, the file ends after {total // 2}" in messages[
        HostileMode.TRUNCATED_CERT]
    assert "over 8192" in messages[HostileMode.OVERSIZED_CERT]
    assert messages[HostileMode.GARBAGE_SW].startswith("cannot select EF 000A: 1234")


def test_endless_61xx_is_cut_off_after_a_bounded_number_of_apdus(holder: Holder) -> None:
    transport = CardTransport(hostile(holder, HostileMode.ENDLESS_61XX))
    with pytest.raises(CardDataError):
        JpkiSession(transport).select_jpki()
    assert len(transport.sent) <= 1 + MAX_GET_RESPONSE_ROUNDS
    assert (len(transport.sent) - 1) * 256 <= MAX_RESPONSE_BYTES + 256


def test_a_slow_card_runs_out_of_the_tap_budget(holder: Holder) -> None:
    transport = CardTransport(hostile(holder, HostileMode.SLOW, delay_s=0.15))
    start = time.monotonic()
    with pytest.raises(CardTooSlow) as info:
        s = JpkiSession(transport, budget_s=0.5)
        s.select_jpki()
        s.read_auth_certificate()
    assert info.value.budget_s == 0.5
    assert "too slowly" in str(info.value)
    assert time.monotonic() - start < 5  # cut off, not read to the end (a hang bound only)
    assert len(transport.sent) <= 5


class AbandoningTransport(CardTransport):
    """:class:`CardTransport` that can give up on an answer, like ``PcscTransport``."""

    def __init__(self, card: VirtualJpkiCard) -> None:
        super().__init__(card)
        self.abandoned = False

    def transmit_within(self, apdu: bytes, timeout_s: float) -> tuple[bytes, int]:
        answers: list[tuple[bytes, int]] = []
        worker = threading.Thread(
            target=lambda: answers.append(self.transmit(apdu)), daemon=True)
        worker.start()
        worker.join(timeout_s)
        if not answers:
            self.abandoned = True
            raise TimeoutError("no answer")
        return answers[0]


def test_a_mute_card_is_abandoned_when_the_budget_runs_out(holder: Holder) -> None:
    card = hostile(holder, HostileMode.MUTE)
    transport = AbandoningTransport(card)
    start = time.monotonic()
    with pytest.raises(CardTooSlow) as info:
        JpkiSession(transport, budget_s=0.3).select_jpki()
    assert 0.3 <= time.monotonic() - start < 5  # a hang bound, not a speed check
    assert transport.abandoned
    assert info.value.elapsed_s >= 0.3
    card.unplug()


def test_a_slow_card_is_cut_off_in_the_middle_of_an_answer(holder: Holder) -> None:
    transport = AbandoningTransport(hostile(holder, HostileMode.SLOW, delay_s=5))
    start = time.monotonic()
    with pytest.raises(CardTooSlow, match="limit for one tap is 0.4 s"):
        JpkiSession(transport, budget_s=0.4).select_jpki()
    assert time.monotonic() - start < 4.5  # not the card's 5 s: cut off mid-answer
    transport.card.unplug()


def test_an_honest_card_fits_the_default_budget(holder: Holder) -> None:
    card = VirtualJpkiCard(holder, on_pin_change=lambda _: None)
    card.power_on()
    assert len(tap(card)) == 256


def test_the_deadline_checks_before_sending() -> None:
    class Never:
        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            raise AssertionError("nothing may be sent once the budget is spent")

    transport = DeadlineTransport(Never(), budget_s=0.0)
    time.sleep(0.01)
    with pytest.raises(CardTooSlow):
        transport.transmit(SELECT_JPKI)


# --- mykey-vcard run --hostile ---------------------------------------------------------------


def test_cli_offers_every_mode() -> None:
    help_text = CliRunner().invoke(cli, ["run", "--help"]).output
    for mode in HostileMode:
        assert mode.value in help_text
    assert "--delay-s" in help_text


def test_cli_refuses_an_unknown_mode(holder: Holder, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(holder.directory), "--hostile", "rude"])
    assert result.exit_code == 2
    assert "rude" in result.output
