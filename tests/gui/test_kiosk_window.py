"""Kiosk habits: full screen on top, a guarded close, GC kept on the GUI thread."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import Qt

from app.flow import State
from app.ports import CardStatus
from app.settings import Settings
from tests.gui.conftest import FakeSettings, FakeTapper

pytestmark = pytest.mark.gui


def test_fullscreen_and_on_top(make_counter) -> None:
    counter = make_counter(FakeTapper([]), FakeSettings(fullscreen=True))
    window = counter.window
    counter.qtbot.waitUntil(window.isFullScreen, timeout=5000)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_windowed_for_development(make_counter) -> None:
    counter = make_counter(FakeTapper([]), FakeSettings(fullscreen=False))
    assert not counter.window.isFullScreen()
    assert not counter.window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_close_guard_can_refuse(make_counter) -> None:
    counter = make_counter(FakeTapper([]))
    window = counter.window
    asked: list[bool] = []

    def guard() -> bool:
        asked.append(True)
        return False

    window.close_guard = guard
    window.quit_shortcut.activated.emit()  # Ctrl+Q
    assert asked and window.isVisible()
    window.close_guard = lambda: True
    assert window.close()
    assert not window.isVisible()


def test_gc_runs_on_the_gui_thread_while_the_kiosk_runs(make_counter) -> None:
    gc.enable()  # as in a real process (the GUI tests' fixture keeps it off otherwise)
    try:
        counter = make_counter(FakeTapper([]))
        assert not gc.isenabled()
        counter.kiosk.stop()
        assert gc.isenabled()
    finally:
        gc.disable()


def test_the_real_settings_class_fits(make_counter) -> None:
    settings = Settings(language="en", fullscreen=False, delivery=["show"], pin_entry_timeout_s=9)
    counter = make_counter(FakeTapper([CardStatus(3)]), settings)
    assert counter.kiosk.controller.flow.timeouts.pin_entry_s == 9
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    assert counter.window.pin.tries.text() == "Tries left: 3"
