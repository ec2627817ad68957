"""The real main window through a whole tap, with a fake tapper and card monitor."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import Qt

from app.flow import State
from app.i18n import Catalogue
from app.ports import CardStatus, ErrorKind, TapError
from tests.gui.conftest import PIN, SERVICE_ID, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui
JA = Catalogue("ja")


def test_idle_insert_pin_result(make_counter, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]))
    counter.wait_for(State.IDLE)
    assert JA.tr("idle.title") in counter.texts()

    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    assert counter.window.pin.tries.text() == "残り 3 回"
    assert not counter.window.pin.ok_button.isEnabled()

    counter.press(*PIN[:3])
    assert all(PIN[:3] not in text for text in counter.texts())
    counter.press(PIN[3])
    assert counter.window.pin.ok_button.isEnabled()
    assert all(PIN not in text for text in counter.texts())
    counter.press("ok")

    counter.wait_for(State.RESULT)
    result = counter.window.result
    assert result.number.text() == SERVICE_ID
    assert result.number.isVisibleTo(counter.window)
    assert not result.barcode.pixmap().isNull()
    assert result.barcode.pixmap().width() > 200
    assert counter.tapper.pins == [(PIN, False)]
    assert all(PIN not in text for text in counter.texts())
    assert PIN not in caplog.text
    # probe and authenticate ran on the one card thread, never on the GUI thread
    assert len(counter.tapper.threads) == 1
    assert threading.main_thread().name not in counter.tapper.threads


def test_pad_edit_keys(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]))
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.press("9", "9", "clear", *PIN[:3], "7", "backspace", PIN[3], "5", "ok")
    counter.wait_for(State.RESULT)
    assert counter.tapper.pins == [(PIN, False)]  # the fifth digit was ignored


def test_desk_keyboard_types_the_pin(make_counter, qtbot) -> None:
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]))
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    pad = counter.window.pin
    qtbot.keyClicks(pad, "48x")
    qtbot.keyClick(pad, Qt.Key.Key_Backspace)
    qtbot.keyClicks(pad, "821")
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    counter.wait_for(State.RESULT)
    assert counter.tapper.pins == [(PIN, False)]


def test_wrong_pin_shows_tries_left(make_counter) -> None:
    tapper = FakeTapper([CardStatus(3)], [TapError(ErrorKind.WRONG_PIN, tries_left=2)])
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.qtbot.waitUntil(lambda: counter.window.pin.warning.text() != "", timeout=5000)
    assert counter.state is State.PIN_ENTRY
    assert counter.window.pin.warning.text() == "暗証番号が違います（残り 2 回）"
    assert counter.window.pin.tries.text() == "残り 2 回"
    assert counter.window.pin.tries.property("warning") is False
    assert all(PIN not in text for text in counter.texts())


def test_last_try_asks_first_and_cancel_returns_idle(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(1)]))
    counter.insert()
    counter.wait_for(State.CONFIRM_LAST_TRY)
    assert JA.tr("confirm.message") in counter.texts()
    counter.window.confirm_last_try.cancel_button.click()
    counter.wait_for(State.IDLE)
    assert counter.tapper.pins == []


def test_last_try_continue_warns_and_allows_it(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(1)], [lookup()]))
    counter.insert()
    counter.wait_for(State.CONFIRM_LAST_TRY)
    counter.window.confirm_last_try.continue_button.click()
    counter.wait_for(State.PIN_ENTRY)
    pad = counter.window.pin
    assert pad.tries.text() == "残り 1 回"
    assert pad.tries.property("warning") is True
    assert pad.warning.text() == JA.tr("pin.last_try")
    counter.type_pin()
    counter.wait_for(State.RESULT)
    assert counter.tapper.pins == [(PIN, True)]


def test_wrong_pin_down_to_one_asks_again(make_counter) -> None:
    tapper = FakeTapper([CardStatus(2)], [TapError(ErrorKind.WRONG_PIN, tries_left=1)])
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.CONFIRM_LAST_TRY)


def test_blocked_card_shows_locked(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(0)]))
    counter.insert()
    counter.wait_for(State.LOCKED_PIN)
    assert JA.tr("locked.message") in counter.texts()
    assert "市区町村の窓口" in JA.tr("locked.message")


def test_blocked_by_last_wrong_pin_shows_locked(make_counter) -> None:
    tapper = FakeTapper([CardStatus(3)], [TapError(ErrorKind.PIN_BLOCKED, tries_left=0)])
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.LOCKED_PIN)
    counter.remove()
    counter.wait_for(State.IDLE)


def test_card_removed_mid_pin(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(3)]))
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.press(*PIN[:2])
    counter.remove()
    counter.wait_for(State.ERROR)
    assert counter.window.error.title.text() == JA.tr("error.card_removed.title")
    assert counter.tapper.pins == []


def test_a_stale_card_answer_is_dropped(make_counter) -> None:
    tapper = FakeTapper([TapError(ErrorKind.CARD_REMOVED), CardStatus(3)])
    tapper.probe_gate = gate = threading.Event()
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.CARD_PRESENT)  # the first probe hangs on the card thread
    counter.remove()
    counter.wait_for(State.ERROR)
    counter.insert()  # the card is back: a new probe queues behind the hung one
    counter.wait_for(State.CARD_PRESENT)
    seen = counter.record_states()
    gate.set()  # the first probe now fails late: that answer belongs to the old tap
    counter.wait_for(State.PIN_ENTRY)
    assert State.ERROR not in seen


def test_lifting_the_card_while_querying_keeps_the_lookup(make_counter) -> None:
    tapper = FakeTapper([CardStatus(3)], [lookup()])
    tapper.gate = threading.Event()
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.QUERYING)
    counter.remove()
    counter.qtbot.wait(50)
    assert counter.state is State.QUERYING
    tapper.gate.set()
    counter.wait_for(State.RESULT)
    assert counter.window.result.number.text() == SERVICE_ID


def test_the_next_card_replaces_the_previous_number(make_counter) -> None:
    tapper = FakeTapper([CardStatus(3), CardStatus(3)], [lookup()])
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    counter.remove()
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    assert all(SERVICE_ID not in text for text in counter.texts())
    assert counter.window.result.barcode.pixmap().isNull()


def test_result_is_cleared_after_its_timeout(make_counter) -> None:
    settings = FakeSettings(result_timeout_s=0.2)
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    counter.wait_for(State.IDLE)
    assert all(SERVICE_ID not in text for text in counter.texts())
    assert counter.window.result.barcode.pixmap().isNull()


def test_done_clears_the_result_at_once(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]))
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    counter.window.result.done_button.click()
    counter.wait_for(State.IDLE)
    assert all(SERVICE_ID not in text for text in counter.texts())


def test_pin_entry_times_out(make_counter) -> None:
    settings = FakeSettings(pin_entry_timeout_s=0.2)
    counter = make_counter(FakeTapper([CardStatus(3)]), settings)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.press(*PIN[:3])
    counter.wait_for(State.IDLE)
    assert counter.window.pin.dots._filled == 0


def test_result_notices(make_counter) -> None:
    result = lookup(valid=False, address_changed=True, certificate_expires_soon=True)
    counter = make_counter(FakeTapper([CardStatus(3)], [result]))
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    screen = counter.window.result
    for notice, key in (
        (screen.invalid, "result.invalid"),
        (screen.address_changed, "result.address_changed"),
        (screen.expires_soon, "result.expires_soon"),
    ):
        assert notice.isVisibleTo(counter.window)
        assert notice.text() == JA.tr(key)
    assert not screen.delivery_failed.isVisibleTo(counter.window)


@pytest.mark.parametrize(
    ("methods", "number", "barcode"),
    [(["show"], True, False), (["barcode"], False, True), (["show", "barcode"], True, True)],
)
def test_delivery_methods_from_settings(make_counter, methods, number, barcode) -> None:
    settings = FakeSettings(delivery=methods)
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    screen = counter.window.result
    assert screen.number.isVisibleTo(counter.window) is number
    assert (SERVICE_ID in counter.texts()) is number
    assert screen.barcode_frame.isVisibleTo(counter.window) is barcode
    assert screen.barcode.pixmap().isNull() is not barcode


def test_a_failing_delivery_is_reported_and_the_rest_still_shown(make_counter) -> None:
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup("ABC-12")]))  # NW-7 refuses it
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    screen = counter.window.result
    assert screen.number.text() == "ABC-12"
    assert screen.delivery_failed.isVisibleTo(counter.window)
    assert screen.barcode.pixmap().isNull()


def test_retry_after_platform_unreachable(make_counter) -> None:
    tapper = FakeTapper(
        [CardStatus(3), CardStatus(3)],
        [TapError(ErrorKind.PLATFORM_UNREACHABLE, "connection refused"), lookup()],
    )
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.ERROR)
    error = counter.window.error
    assert error.retry_button.isVisibleTo(counter.window)
    assert error.detail.text() == "詳細: connection refused"
    error.retry_button.click()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)


def test_unexpected_tapper_bug_is_logged_without_the_pin(make_counter, caplog) -> None:
    tapper = FakeTapper([CardStatus(3)], [RuntimeError(f"bug while sending {PIN}")])
    counter = make_counter(tapper)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.ERROR)
    assert counter.window.error.title.text() == JA.tr("error.platform_error.title")
    assert counter.window.error.detail.text() == "詳細: RuntimeError"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "bug while sending ****" in logged
    assert PIN not in logged


def test_unexpected_probe_bug_is_a_card_error(make_counter) -> None:
    counter = make_counter(FakeTapper([OSError("reader went away")]))
    counter.insert()
    counter.wait_for(State.ERROR)
    assert counter.window.error.title.text() == JA.tr("error.card_error.title")
