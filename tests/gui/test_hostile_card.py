"""The kiosk against hostile cards (drivers/vcard/hostile.py) through the real CardTapper and
JPKI driver: it stays up, shows the card-error screen naming the fault, goes back to idle
when the card leaves, and then serves an honest card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.flow import State
from app.i18n import Catalogue
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder
from drivers.vcard.hostile import HostileJpkiCard, HostileMode
from tests.gui.conftest import PIN, SERVICE_ID
from tests.gui.vcard_tapper import Platform, RealTapper, Slot

pytestmark = pytest.mark.gui
JA = Catalogue("ja")


def no_save(holder: Holder) -> None:
    """The test holder's PIN counter stays in memory."""


@pytest.fixture(scope="module")
def holder(tmp_path_factory: pytest.TempPathFactory) -> Holder:
    ca: Path = make_ca(tmp_path_factory.mktemp("ca"))
    return make_holder(tmp_path_factory.mktemp("holder"), ca, pin=PIN)


def test_the_kiosk_survives_hostile_cards_then_serves_an_honest_one(
    make_counter: Any, holder: Holder
) -> None:
    slot, platform = Slot(), Platform()
    counter = make_counter(RealTapper(slot, platform))
    counter.wait_for(State.IDLE)
    screen = counter.window.error

    # garbage status words: caught when the card is put down, before any PIN
    slot.card = HostileJpkiCard(holder, HostileMode.GARBAGE_SW, on_pin_change=no_save)
    counter.insert()
    counter.wait_for(State.ERROR)
    assert screen.title.text() == JA.tr("error.card_error.title")
    assert "1234 (unexpected status word)" in screen.detail.text()
    assert screen.detail.isVisibleTo(counter.window)
    counter.remove()
    counter.wait_for(State.IDLE)

    # a truncated certificate: caught after the PIN, which never reaches the card
    slot.card = HostileJpkiCard(holder, HostileMode.TRUNCATED_CERT, on_pin_change=no_save)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.ERROR)
    assert screen.title.text() == JA.tr("error.card_error.title")
    assert "EF 000A is truncated" in screen.detail.text()
    assert holder.tries_left == 3
    assert all(PIN not in text for text in counter.texts())
    counter.remove()
    counter.wait_for(State.IDLE)
    assert screen.detail.text() == ""

    # the next patron's honest card
    slot.card = VirtualJpkiCard(holder, on_pin_change=no_save)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    assert counter.window.result.number.text() == SERVICE_ID
    assert platform.lookups == 1
    assert counter.window.isVisible()
