"""Hostile cards through the real stack: `mykey-counter lookup` → pcscd → vpcd → a virtual
card that misbehaves on purpose (drivers/vcard/hostile.py). Every mode ends in the card-error
exit status with a reason that names the fault, in bounded time, without a PIN ever reaching
the card; and the next, honest card still works.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.ports import EXIT_STATUS, ErrorKind
from drivers.vcard.holder import Holder
from drivers.vcard.hostile import HostileJpkiCard, HostileMode
from tests.fixtures.pcscd import VPCD_READER, InsertCard, MakeHolder, wait_for_card
from tests.integration.test_counter_e2e import Desk, make_desk

pytestmark = pytest.mark.integration

VCARD = str(Path(sys.executable).parent / "mykey-vcard")
CARD_TIMEOUT_S = 3.0
SLOW_DELAY_S = 2.0
#: a lookup against a hostile card ends within this (the card budget plus start-up)
MAX_LOOKUP_S = 25.0
PIN = "7391"
CARD_ERROR_TITLE = "カードを読み取れませんでした / the card could not be read"

#: what the reason on stderr says, per mode
REASONS = {
    HostileMode.WRONG_LENGTH: "returned 11 bytes, more than the 4 asked for",
    HostileMode.GARBAGE_SW: "1234 (unexpected status word)",
    HostileMode.TRUNCATED_CERT: "EF 000A is truncated",
    HostileMode.OVERSIZED_CERT: "announces 65539 bytes, over 8192",
    HostileMode.ENDLESS_61XX: "still answers 61xx",
    HostileMode.SLOW: "the card answers too slowly",
    HostileMode.MUTE: "the card answers too slowly",
}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, vcard_ca: Path) -> Iterator[Desk]:
    """An enrolled counter whose card transactions may take CARD_TIMEOUT_S seconds."""
    tmp = tmp_path_factory.mktemp("hostile-desk")
    for desk in make_desk(f"sqlite:///{tmp / 'platform.db'}", tmp, vcard_ca):
        with (desk.home / "counter.toml").open("a", encoding="utf-8") as toml:
            toml.write(f"card_timeout_s = {CARD_TIMEOUT_S}\n")
        yield desk


def tries_left(holder: Holder) -> int:
    return Holder.load(holder.directory).tries_left


def timed_lookup(desk: Desk) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = desk.lookup(PIN)
    return done, time.monotonic() - start


def assert_card_error(done: subprocess.CompletedProcess[str], reason: str) -> None:
    assert done.returncode == EXIT_STATUS[ErrorKind.CARD_ERROR], (done.returncode, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.lower().startswith(f"error: {CARD_ERROR_TITLE}")
    assert reason in last, last
    assert "Traceback" not in done.stderr
    assert done.stdout.strip() == ""
    assert PIN not in done.stderr


@pytest.mark.parametrize("mode", list(HostileMode), ids=[m.value for m in HostileMode])
def test_a_hostile_card_ends_in_a_clear_card_error(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard,
    mode: HostileMode,
) -> None:
    holder = make_vcard_holder(pin=PIN)
    desk.register(holder)
    insert_card(HostileJpkiCard(holder, mode, delay_s=SLOW_DELAY_S))
    done, took_s = timed_lookup(desk)
    assert_card_error(done, REASONS[mode])
    assert took_s < MAX_LOOKUP_S
    assert tries_left(holder) == 3  # no PIN reached the card


def test_an_honest_card_works_after_a_mute_one(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    """The slot is not wedged by an abandoned exchange: pull the mute card, tap a good one."""
    mute = make_vcard_holder(pin=PIN)
    runner = insert_card(HostileJpkiCard(mute, HostileMode.MUTE))
    assert_card_error(desk.lookup(PIN), REASONS[HostileMode.MUTE])
    runner.remove()
    assert wait_for_card(VPCD_READER, present=False)
    honest = make_vcard_holder(pin=PIN)
    desk.register(honest)
    insert_card(honest)
    done = desk.lookup(PIN)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["service_id"] == str(desk.next_number)


def test_mykey_vcard_run_hostile(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder
) -> None:
    """The command line a trainer uses: `mykey-vcard run DIR --hostile endless-61xx`."""
    holder = make_vcard_holder(pin=PIN)
    assert wait_for_card(VPCD_READER, present=False)
    card = subprocess.Popen(
        [VCARD, "run", str(holder.directory), "--hostile", "endless-61xx"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for_card(VPCD_READER, present=True), "the hostile card never showed up"
        assert_card_error(desk.lookup(PIN), REASONS[HostileMode.ENDLESS_61XX])
    finally:
        card.send_signal(signal.SIGTERM)
        out, err = card.communicate(timeout=20)
    assert card.returncode == 0, err
    assert "hostile card: endless-61xx" in err
    assert wait_for_card(VPCD_READER, present=False)
