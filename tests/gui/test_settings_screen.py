"""The settings screen behind the staff PIN, on the real kiosk window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.flow import State
from app.i18n import Catalogue
from app.ports import CardStatus
from app.recording import RecordingKeyboard, RecordingPrinter
from app.secrets import TerminalKeyStore
from app.settings import (
    SETTINGS_FILE,
    KeyboardSettings,
    LabelSettings,
    Settings,
    load_settings,
    save_settings,
)
from app.staff import set_staff_pin
from app.ui.delivery import LabelDelivery
from app.ui.screens.settings import SettingsScreen
from app.ui.screens.staff_pin import StaffPinScreen
from app.ui.staff_access import LOCKOUT_S, StaffAccess
from tests.gui.conftest import WAIT_MS, Counter, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui
JA = Catalogue("ja")
STAFF_PIN = "246813"
QUEUES = ["QL-820NWB", "Office"]


@dataclass
class Staff:
    counter: Counter
    home: Path
    now: list[float]

    @property
    def access(self) -> StaffAccess:
        staff = self.counter.kiosk.staff
        assert staff is not None
        return staff

    @property
    def prompt(self) -> StaffPinScreen:
        return self.access.prompt

    @property
    def screen(self) -> SettingsScreen:
        return self.access.settings_screen

    def current(self) -> Any:
        return self.counter.window.current_screen()

    def type_staff_pin(self, pin: str) -> None:
        for digit in pin:
            self.prompt.digit_button(digit).click()
        self.prompt.ok_button.click()

    def open_settings(self) -> SettingsScreen:
        assert self.access.request()
        self.type_staff_pin(STAFF_PIN)
        assert self.current() is self.screen
        return self.screen

    def toml(self) -> bytes:
        return (self.home / SETTINGS_FILE).read_bytes()


def file_settings(**changes: Any) -> Settings:
    settings = Settings(secrets_backend="file", demo_mode=True, terminal_id="term-1",
                        fullscreen=False,
                        keyboard=KeyboardSettings(backend="recording", suffix="tab",
                                                  target_window="library"),
                        label=LabelSettings(printer="recording", queue="Office",
                                            size="58mm", terminal_name="1番窓口"))
    for key, value in changes.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture
def make_staff(make_counter: Any, tmp_path: Path) -> Any:
    def make(*, pin: str | None = STAFF_PIN, language: str = "ja", **changes: Any) -> Staff:
        settings = file_settings(language=language, **changes)
        save_settings(tmp_path, settings)
        if pin is not None:
            set_staff_pin(TerminalKeyStore("file", tmp_path), pin)
        fake = FakeSettings(language=language, delivery=list(settings.delivery),
                            keyboard=settings.keyboard, label=settings.label)
        counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), fake, home=tmp_path)
        counter.wait_for(State.IDLE)
        now = [1000.0]
        staff = Staff(counter, tmp_path, now)
        staff.access.clock = lambda: now[0]
        staff.access.queues = lambda: list(QUEUES)
        return staff

    return make


# --- the gesture and the staff PIN ---------------------------------------------------------


def test_a_long_press_on_the_top_left_corner_opens_the_prompt(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    corner = staff.counter.window.idle.staff_corner
    corner.timer.setInterval(50)
    qtbot.mousePress(corner, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(corner, Qt.MouseButton.LeftButton)  # a tap is not a long press
    qtbot.wait(150)
    assert staff.current() is staff.counter.window.idle
    qtbot.mousePress(corner, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: staff.current() is staff.prompt, timeout=WAIT_MS)
    qtbot.mouseRelease(corner, Qt.MouseButton.LeftButton)
    assert staff.prompt.warning.text() == ""
    assert staff.prompt.digit_button("1").isEnabled()


def test_ctrl_alt_s_opens_the_prompt(make_staff) -> None:
    staff = make_staff()
    staff.counter.window.staff_shortcut.activated.emit()
    assert staff.current() is staff.prompt
    assert staff.counter.window.staff_shortcut.key().toString() == "Ctrl+Alt+S"


def test_the_gesture_does_nothing_during_a_tap(make_staff) -> None:
    staff = make_staff()
    staff.counter.insert()
    staff.counter.wait_for(State.PIN_ENTRY)
    staff.counter.window.staff_requested.emit()
    assert staff.current() is staff.counter.window.pin
    assert not staff.access.request()


def test_the_staff_pin_is_hidden(make_staff) -> None:
    staff = make_staff()
    staff.access.request()
    for digit in STAFF_PIN:
        staff.prompt.digit_button(digit).click()
    assert all(STAFF_PIN not in text for text in staff.counter.texts())


def test_three_wrong_staff_pins_lock_the_prompt_out(make_staff) -> None:
    staff = make_staff()
    staff.access.request()
    staff.type_staff_pin("999999")
    assert staff.prompt.warning.text() == JA.tr("staff.wrong", tries=2)
    staff.type_staff_pin("999998")
    assert staff.current() is staff.prompt
    staff.type_staff_pin("999997")
    assert staff.current() is staff.counter.window.idle
    # locked out: the prompt opens without a pad, the right PIN does nothing
    assert staff.access.request()
    assert staff.prompt.warning.text() == JA.tr("staff.locked", seconds=60)
    assert not staff.prompt.digit_button("2").isEnabled()
    staff.type_staff_pin(STAFF_PIN)
    assert staff.current() is staff.prompt
    staff.prompt.cancel_button.click()
    assert staff.current() is staff.counter.window.idle
    staff.now[0] += LOCKOUT_S + 1
    staff.open_settings()


def test_without_a_staff_pin_the_settings_are_refused(make_staff) -> None:
    staff = make_staff(pin=None)
    staff.access.request()
    assert "mykey-counter staff-pin" in staff.prompt.warning.text()
    assert not staff.prompt.digit_button("1").isEnabled()
    assert not staff.prompt.ok_button.isEnabled()


def test_a_card_ends_the_staff_screens(make_staff) -> None:
    staff = make_staff()
    staff.open_settings()
    staff.counter.insert()
    staff.counter.wait_for(State.PIN_ENTRY)
    staff.counter.type_pin()
    staff.counter.wait_for(State.RESULT)
    staff.counter.window.result.done_button.click()
    staff.counter.wait_for(State.IDLE)
    assert staff.current() is staff.counter.window.idle


# --- the form ------------------------------------------------------------------------------


def test_the_right_pin_shows_the_current_settings(make_staff) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    assert screen.delivery["show"].isChecked() and screen.delivery["barcode"].isChecked()
    assert not screen.delivery["keyboard"].isChecked()
    assert not screen.delivery["label"].isChecked()
    assert screen.keyboard_backend.currentData() == "recording"
    assert screen.target_window.text() == "library"
    assert screen.suffix.currentData() == "tab"
    assert screen.prefix.currentData() == "none"
    assert screen.printer.currentData() == "recording"
    assert [screen.queue.itemData(i) for i in range(screen.queue.count())] == [None, *QUEUES]
    assert screen.queue.currentData() == "Office"
    assert screen.label_size.currentData() == "58mm"
    assert screen.terminal_name.text() == "1番窓口"
    assert screen.test_keyboard_button.text() == "キーボードをテスト"
    assert screen.test_label_button.text() == "ラベルをテスト"
    assert screen.save_button.text() == "保存"


def test_a_staff_screen_left_alone_returns_to_idle(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    staff.access._idle.setInterval(200)  # 120 s at a real counter
    staff.open_settings()
    window = staff.counter.window
    qtbot.waitUntil(lambda: staff.current() is window.idle, timeout=5000)
    assert not window.showing_staff_screen()


def test_activity_on_a_staff_screen_keeps_it_open(make_staff, qtbot: QtBot) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication  # noqa: TID251

    staff = make_staff()
    staff.access._idle.setInterval(1500)
    screen = staff.open_settings()
    for _ in range(12):  # 12 × 200 ms of touches: longer than the idle interval
        qtbot.wait(200)
        press = QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(5, 5), QPointF(5, 5),
                            Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(screen, press)
    assert staff.current() is screen
    qtbot.waitUntil(lambda: staff.current() is staff.counter.window.idle, timeout=5000)


def test_english_by_the_language_setting(make_staff) -> None:
    staff = make_staff(language="en")
    screen = staff.open_settings()
    assert screen.save_button.text() == "Save"
    assert "Settings" in staff.counter.texts()


def test_an_invalid_regex_is_named_and_not_saved(make_staff) -> None:
    staff = make_staff()
    before = staff.toml()
    screen = staff.open_settings()
    screen.target_window.setText("(")
    assert not screen.save()
    assert "keyboard.target_window" in screen.message.text()
    assert staff.toml() == before


def test_a_label_without_printer_is_named_and_not_saved(make_staff) -> None:
    staff = make_staff()
    before = staff.toml()
    screen = staff.open_settings()
    screen.delivery["label"].setChecked(True)
    screen.printer.setCurrentIndex(screen.printer.findData(None))
    screen.save_button.click()
    assert "label.printer" in screen.message.text()
    assert staff.toml() == before


def test_no_delivery_is_refused(make_staff) -> None:
    staff = make_staff()
    before = staff.toml()
    screen = staff.open_settings()
    for box in screen.delivery.values():
        box.setChecked(False)
    assert not screen.save()
    assert "delivery" in screen.message.text()
    assert staff.toml() == before


def test_a_valid_change_is_saved_and_the_next_tap_uses_it(make_staff) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.delivery["show"].setChecked(False)
    screen.delivery["label"].setChecked(True)
    screen.label_size.setCurrentIndex(screen.label_size.findData("62mm"))
    screen.terminal_name.setText("2番窓口")
    assert screen.save(), screen.message.text()
    assert screen.message.text() == JA.tr("settings.saved_applied")
    saved = load_settings(staff.home, service_cache=False)
    assert saved.delivery == ["barcode", "label"]
    assert saved.label.size == "62mm" and saved.label.terminal_name == "2番窓口"
    assert saved.terminal_id == "term-1" and saved.secrets_backend == "file"  # kept
    assert [m.name for m in staff.counter.kiosk.controller.deliveries] == ["barcode", "label"]

    screen.back_button.click()
    counter = staff.counter
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    notice = counter.window.result.delivery_notices["label"]
    counter.qtbot.waitUntil(lambda: notice.text() == JA.tr("result.label.printed"),
                            timeout=WAIT_MS)
    (method,) = [m for m in counter.kiosk.controller.deliveries if isinstance(m, LabelDelivery)]
    printer = method.printer()
    assert isinstance(printer, RecordingPrinter) and len(printer.jobs) == 1


def test_switching_the_keyboard_on_needs_a_restart(make_staff) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.delivery["keyboard"].setChecked(True)
    assert screen.save()
    assert screen.message.text() == JA.tr("settings.saved_restart")
    assert load_settings(staff.home).delivery == ["show", "barcode", "keyboard"]
    assert [m.name for m in staff.counter.kiosk.controller.deliveries] == ["show", "barcode"]


def test_back_drops_unsaved_changes(make_staff) -> None:
    staff = make_staff()
    before = staff.toml()
    screen = staff.open_settings()
    screen.delivery["label"].setChecked(True)
    screen.target_window.setText("Other")
    screen.back_button.click()
    assert staff.current() is staff.counter.window.idle
    assert staff.toml() == before
    staff.open_settings()
    assert not screen.delivery["label"].isChecked()
    assert screen.target_window.text() == "library"


# --- the test buttons ----------------------------------------------------------------------


def test_the_keyboard_test_types_a_sample_number(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.countdown_s = 1
    screen.test_keyboard_button.click()
    assert screen.message.text() == JA.tr("settings.test.countdown", seconds=1)
    qtbot.waitUntil(lambda: "0000000000" in screen.message.text(), timeout=WAIT_MS)
    keyboard = screen.test_keyboard
    assert isinstance(keyboard, RecordingKeyboard)
    # the demo service's pattern is [0-9]{10}; the suffix is the form's (tab)
    assert keyboard.typed == "0000000000\t"
    assert screen.message.text() == JA.tr("settings.test.typed", number="0000000000")


def test_the_keyboard_test_reports_a_wrong_window(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.countdown_s = 0
    screen.target_window.setText("Nothing like this")
    screen.test_keyboard_button.click()
    qtbot.waitUntil(lambda: screen.pending == 0 and screen.test_keyboard is not None,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: screen.message.text().startswith("入力できませんでした"),
                    timeout=WAIT_MS)
    assert isinstance(screen.test_keyboard, RecordingKeyboard)
    assert screen.test_keyboard.events == []


def test_the_label_test_prints_a_sample_label(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.test_label_button.click()
    qtbot.waitUntil(lambda: screen.message.text() == JA.tr("settings.test.printed"),
                    timeout=WAIT_MS)
    printer = screen.test_printer
    assert isinstance(printer, RecordingPrinter)
    assert len(printer.jobs) == 1 and printer.jobs[0].job_name == "MyKey test label"


def test_the_label_test_without_printer_says_so(make_staff, qtbot: QtBot) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    screen.printer.setCurrentIndex(screen.printer.findData(None))
    screen.test_label_button.click()
    qtbot.waitUntil(lambda: screen.message.text().startswith("印刷できませんでした"),
                    timeout=WAIT_MS)
    assert "printer" in screen.message.text()


def test_a_keyboard_counter_takes_the_focus_only_while_the_settings_are_open(
    make_staff,
) -> None:
    staff = make_staff(delivery=["barcode", "keyboard"])
    window = staff.counter.window
    flag = Qt.WindowType.WindowDoesNotAcceptFocus
    assert window.windowFlags() & flag
    screen = staff.open_settings()
    assert not window.windowFlags() & flag  # the text fields can be typed into
    screen.back_button.click()
    assert window.windowFlags() & flag


def test_the_settings_screen_fits_the_kiosk_window(make_staff, tmp_path: Path) -> None:
    staff = make_staff()
    screen = staff.open_settings()
    window = staff.counter.window
    window.resize(1280, 800)
    staff.counter.qtbot.wait(50)
    for widget in (screen.save_button, screen.back_button, screen.test_label_button):
        assert widget.isVisible() and widget.height() >= 88
    assert window.grab().save(str(tmp_path / "settings.png"))
