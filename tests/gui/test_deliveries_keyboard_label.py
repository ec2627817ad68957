"""Deliveries C (keyboard wedge) and D (same-day label) through a whole tap, with the
recording keyboard and printer chosen by the settings."""

from __future__ import annotations

from typing import Any

import pytest
import zxingcpp

from app.flow import State
from app.i18n import Catalogue
from app.ports import CardStatus, ErrorKind, TapError
from app.recording import RecordingKeyboard, RecordingPrinter
from app.settings import KeyboardSettings, LabelSettings
from app.ui.delivery import KeyboardDelivery, LabelDelivery
from drivers.keyboard import WindowInfo
from drivers.printers import PrinterUnavailable
from tests.gui.conftest import SERVICE_ID, WAIT_MS, Counter, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui
JA = Catalogue("ja")


def delivery_of(counter: Counter, cls: type[Any]) -> Any:
    (method,) = [m for m in counter.kiosk.controller.deliveries if isinstance(m, cls)]
    return method


def tap(counter: Counter) -> None:
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)


def keyboard_counter(make_counter: Any, **keyboard: Any) -> tuple[Counter, RecordingKeyboard]:
    settings = FakeSettings(
        delivery=["barcode", "keyboard"],
        keyboard=KeyboardSettings(backend="recording", **keyboard),
    )
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    backend = delivery_of(counter, KeyboardDelivery).wedge().backend
    assert isinstance(backend, RecordingKeyboard)
    return counter, backend


def test_barcode_and_keyboard_types_exactly_number_and_suffix(make_counter) -> None:
    counter, keyboard = keyboard_counter(make_counter, suffix="enter")
    tap(counter)
    notice = counter.window.result.delivery_notices["keyboard"]
    counter.qtbot.waitUntil(lambda: notice.isVisibleTo(counter.window), timeout=WAIT_MS)
    assert keyboard.typed == SERVICE_ID + "\n"
    assert notice.text() == JA.tr("result.keyboard.typed")
    screen = counter.window.result
    assert not screen.number.isVisibleTo(counter.window)  # B + C: no large digits
    assert screen.barcode_frame.isVisibleTo(counter.window)


def test_a_keyboard_counter_never_takes_the_focus(make_counter) -> None:
    from PySide6.QtCore import Qt

    counter, _ = keyboard_counter(make_counter)
    window = counter.window
    assert window.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)


def test_a_counter_without_keyboard_delivery_takes_the_focus(make_counter) -> None:
    from PySide6.QtCore import Qt

    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), FakeSettings())
    assert not counter.window.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus


def test_wrong_window_gets_nothing_and_the_number_is_shown(make_counter) -> None:
    counter, keyboard = keyboard_counter(make_counter, target_window="Library")
    keyboard.window = WindowInfo(title="Terminal", wm_class="xterm")
    tap(counter)
    screen = counter.window.result
    notice = screen.delivery_notices["keyboard"]
    counter.qtbot.waitUntil(lambda: notice.isVisibleTo(counter.window), timeout=WAIT_MS)
    assert keyboard.events == []
    assert notice.text() == JA.tr("result.keyboard.wrong_window")
    assert screen.number.text() == SERVICE_ID
    assert screen.number.isVisibleTo(counter.window)


def test_a_late_keyboard_report_never_brings_the_number_back(make_counter) -> None:
    counter, keyboard = keyboard_counter(make_counter, target_window="Library")
    keyboard.window = None  # cannot tell the focus: not typed
    tap(counter)
    counter.window.result.done_button.click()
    counter.wait_for(State.IDLE)
    delivery = delivery_of(counter, KeyboardDelivery)
    counter.qtbot.waitUntil(lambda: delivery.pending == 0, timeout=WAIT_MS)
    assert counter.window.result.number.text() == ""


def label_counter(make_counter: Any) -> tuple[Counter, RecordingPrinter]:
    settings = FakeSettings(
        delivery=["label"], label=LabelSettings(printer="recording", terminal_name="1番窓口")
    )
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    printer = delivery_of(counter, LabelDelivery).printer()
    assert isinstance(printer, RecordingPrinter)
    return counter, printer


def test_label_is_printed_and_its_barcode_decodes(make_counter) -> None:
    counter, printer = label_counter(make_counter)
    tap(counter)
    notice = counter.window.result.delivery_notices["label"]
    counter.qtbot.waitUntil(lambda: notice.text() == JA.tr("result.label.printed"),
                            timeout=WAIT_MS)
    assert len(printer.jobs) == 1
    job = printer.jobs[0]
    assert SERVICE_ID not in job.job_name
    decoded = [r.text for r in zxingcpp.read_barcodes(job.image.convert("L"))]
    assert len(decoded) == 1 and SERVICE_ID in decoded[0]
    assert not counter.window.result.number.isVisibleTo(counter.window)


def test_a_failing_printer_shows_the_notice_and_the_number(make_counter) -> None:
    counter, printer = label_counter(make_counter)
    printer.error = PrinterUnavailable("no print queue named 'QL'")
    tap(counter)
    screen = counter.window.result
    notice = screen.delivery_notices["label"]
    expected = JA.tr("result.label.failed", detail="no print queue named 'QL'")
    counter.qtbot.waitUntil(lambda: notice.text() == expected, timeout=WAIT_MS)
    assert printer.jobs == []
    assert screen.number.text() == SERVICE_ID
    assert screen.number.isVisibleTo(counter.window)


def test_label_limit_reached_has_its_screen(make_counter) -> None:
    counter = make_counter(
        FakeTapper([CardStatus(3)], [TapError(ErrorKind.LABEL_LIMIT_REACHED)]),
        FakeSettings(delivery=["label"], label=LabelSettings(printer="recording")),
    )
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.ERROR)
    assert counter.window.error.message.text() == (
        "本日のラベル発行数の上限に達しました。カウンターでお尋ねください。")
