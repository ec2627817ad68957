"""Kiosk lock-down: full screen; closing, Ctrl+Q and minimising need the staff PIN; the
inactivity timer clears every personal datum from the screens and from memory; INFO logs
hold neither the service ID nor the PIN."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget  # noqa: TID251
from pytestqt.qtbot import QtBot

from app.flow import State
from app.i18n import Catalogue
from app.ports import CardStatus
from app.recording import RecordingKeyboard
from app.secrets import TerminalKeyStore
from app.settings import KeyboardSettings, Settings, save_settings
from app.staff import set_staff_pin
from app.ui.delivery import KeyboardDelivery
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder
from tests.gui.conftest import PIN, SERVICE_ID, WAIT_MS, Counter, FakeSettings, FakeTapper, lookup
from tests.gui.vcard_tapper import Platform, RealTapper, Slot

pytestmark = pytest.mark.gui
JA = Catalogue("ja")
STAFF_PIN = "246813"


def locked_counter(make_counter: Any, home: Path, **changes: Any) -> Counter:
    """A full-screen (locked-down) counter whose staff PIN is STAFF_PIN."""
    save_settings(home, Settings(secrets_backend="file", demo_mode=True, terminal_id="term-1"))
    set_staff_pin(TerminalKeyStore("file", home), STAFF_PIN)
    settings = FakeSettings(fullscreen=True, **changes)
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings, home=home)
    counter.wait_for(State.IDLE)
    return counter


def staff_pin(counter: Counter, pin: str) -> None:
    prompt = counter.kiosk.staff.prompt  # type: ignore[union-attr]
    for digit in pin:
        prompt.digit_button(digit).click()
    prompt.ok_button.click()


def prompt_shows(counter: Counter) -> bool:
    return counter.window.current_screen() is counter.kiosk.staff.prompt  # type: ignore[union-attr]


def test_the_counter_runs_full_screen_and_on_top(make_counter: Any, tmp_path: Path) -> None:
    counter = locked_counter(make_counter, tmp_path)
    window = counter.window
    # (the offscreen screen is narrower than the window's minimum width, so Qt drops the
    # first full-screen request; the lock-down puts it back, as on a real desk)
    counter.qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.lockdown


def test_closing_needs_the_staff_pin(make_counter: Any, tmp_path: Path) -> None:
    counter = locked_counter(make_counter, tmp_path)
    window = counter.window
    assert not window.close()  # the window manager's close button, Alt+F4
    assert window.isVisible()
    assert prompt_shows(counter)
    assert counter.kiosk.staff.prompt.warning.text() == JA.tr("staff.leave")  # type: ignore[union-attr]
    staff_pin(counter, "999999")
    assert window.isVisible()
    staff_pin(counter, STAFF_PIN)
    counter.qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)


def test_ctrl_q_needs_the_staff_pin(make_counter: Any, tmp_path: Path) -> None:
    counter = locked_counter(make_counter, tmp_path)
    window = counter.window
    window.quit_shortcut.activated.emit()  # Ctrl+Q
    assert window.isVisible()
    assert prompt_shows(counter)
    counter.kiosk.staff.prompt.cancel_button.click()  # type: ignore[union-attr]
    assert window.current_screen() is window.idle
    assert not counter.kiosk.staff.leaving  # type: ignore[union-attr]
    window.quit_shortcut.activated.emit()
    staff_pin(counter, STAFF_PIN)
    counter.qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)


def test_closing_during_a_tap_is_refused_without_a_prompt(
    make_counter: Any, tmp_path: Path
) -> None:
    counter = locked_counter(make_counter, tmp_path)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    assert not counter.window.close()
    assert counter.window.current_screen() is counter.window.pin  # the patron's screen stays


def test_minimising_is_undone_without_the_staff_pin(make_counter: Any, tmp_path: Path) -> None:
    counter = locked_counter(make_counter, tmp_path)
    window = counter.window
    window.showMinimized()
    counter.qtbot.waitUntil(lambda: window.isFullScreen() and not window.isMinimized(),
                            timeout=WAIT_MS)
    window.showNormal()  # leaving full screen, too
    counter.qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)


def test_the_staff_may_minimise_from_the_settings(
    make_counter: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    counter = locked_counter(make_counter, tmp_path)
    window, staff = counter.window, counter.kiosk.staff
    assert staff is not None and staff.request()
    staff_pin(counter, STAFF_PIN)
    assert window.current_screen() is staff.settings_screen
    window.showMinimized()
    qtbot.wait(100)
    assert window.isMinimized()
    staff.back_to_idle()  # the staff are done: the kiosk is locked down again
    qtbot.waitUntil(lambda: window.isFullScreen() and not window.isMinimized(), timeout=WAIT_MS)


# --- personal data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def holder(tmp_path_factory: pytest.TempPathFactory) -> Holder:
    ca: Path = make_ca(tmp_path_factory.mktemp("ca"))
    return make_holder(tmp_path_factory.mktemp("holder"), ca, pin=PIN)


def holds(root: object, needle: str, *, depth: int = 6, skip: tuple[object, ...] = ()) -> list[str]:
    """Paths of Python attributes under ``root`` whose text contains ``needle`` (the
    objects in ``skip``, the test's own fakes, are not searched)."""
    found: list[str] = []
    seen: set[int] = {id(obj) for obj in skip}

    def walk(obj: object, path: str, level: int) -> None:
        if isinstance(obj, str | bytes):
            text = obj if isinstance(obj, str) else obj.decode("latin-1")
            if needle in text:
                found.append(path)
            return
        if level > depth or id(obj) in seen or obj is None or isinstance(obj, int | float):
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            for key, value in obj.items():
                walk(value, f"{path}[{key!r}]", level + 1)
        elif isinstance(obj, list | tuple | set | frozenset) or type(obj).__name__ == "deque":
            for i, value in enumerate(obj):  # type: ignore[arg-type]
                walk(value, f"{path}[{i}]", level + 1)
        elif dataclasses.is_dataclass(obj) or hasattr(obj, "__dict__"):
            for name, value in vars(obj).items():
                walk(value, f"{path}.{name}", level + 1)

    walk(root, "root", 0)
    return found


def test_the_inactivity_timer_clears_every_personal_datum(
    make_counter: Any, holder: Holder
) -> None:
    settings = FakeSettings(result_timeout_s=0.3, delivery=["show", "barcode"])
    platform = Platform()
    slot = Slot(VirtualJpkiCard(holder, on_pin_change=lambda _: None))
    counter = make_counter(RealTapper(slot, platform), settings)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    assert counter.window.result.number.text() == SERVICE_ID
    assert holds(counter.kiosk.controller.flow, SERVICE_ID)  # the probe finds it there

    counter.wait_for(State.IDLE)  # nobody touched the counter: the result timed out
    window = counter.window
    for screen in window.screens.values():
        assert all(SERVICE_ID not in text for text in counter.texts()), screen
    assert window.result.barcode.pixmap().isNull()
    objects: list[object] = [counter.kiosk.controller, counter.kiosk.controller.flow,
                             window, *window.findChildren(QObject)]
    for obj in objects:
        assert holds(obj, SERVICE_ID, skip=(platform,)) == [], obj
        assert holds(obj, PIN, skip=(holder,)) == [], obj
    for widget in window.findChildren(QWidget):
        assert SERVICE_ID not in (widget.accessibleName() + widget.toolTip())


def test_info_logs_hold_no_service_id_and_no_pin(
    make_counter: Any, holder: Holder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1)  # everything; the rule is checked from INFO up
    slot = Slot(VirtualJpkiCard(holder, on_pin_change=lambda _: None))
    settings = FakeSettings(delivery=["barcode", "keyboard"],
                            keyboard=KeyboardSettings(backend="recording", suffix="enter"))
    counter = make_counter(RealTapper(slot, Platform()), settings)
    (keyboard,) = [m for m in counter.kiosk.controller.deliveries
                   if isinstance(m, KeyboardDelivery)]
    backend = keyboard.wedge().backend
    assert isinstance(backend, RecordingKeyboard)
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    counter.qtbot.waitUntil(lambda: backend.typed == SERVICE_ID + "\n", timeout=WAIT_MS)
    counter.window.result.done.emit()
    counter.wait_for(State.IDLE)
    assert caplog.records, "the tap logged nothing: the check would prove nothing"
    for record in caplog.records:
        if record.levelno < logging.INFO:
            continue
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        assert SERVICE_ID not in text, record
        assert PIN not in text, record
