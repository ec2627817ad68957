"""Lifetimes across threads: nothing of Qt is freed off the GUI thread, no thread outlives
the kiosk. Every hand-off is followed by a forced switch to the other thread."""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

import pytest
from PySide6.QtCore import QObject, Slot

from app.flow import State
from app.ports import CardStatus
from app.recording import RecordingKeyboard
from app.settings import KeyboardSettings
from app.ui.delivery import KeyboardDelivery
from tests.gui.conftest import WAIT_MS, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui


class _Sink(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[object] = []

    @Slot(object)
    def got(self, value: object) -> None:
        self.values.append(value)


def test_a_background_job_is_finalised_on_the_gui_thread(qtbot: Any, monkeypatch: Any) -> None:
    from app.ui.startup import BackgroundJob

    original = BackgroundJob._emit

    def emit_then_hand_off(signal: Any, value: object) -> None:
        original(signal, value)
        time.sleep(0.05)  # the GUI thread runs the slot and drops its references now

    monkeypatch.setattr(BackgroundJob, "_emit", staticmethod(emit_then_hand_off))
    finalised_on: list[str] = []
    sink = _Sink()
    job = BackgroundJob(lambda: 1, "lifetime-job")
    weakref.finalize(job, lambda: finalised_on.append(threading.current_thread().name))
    job.finished.connect(sink.got)
    job.start()
    del job
    qtbot.waitUntil(lambda: sink.values == [1], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(finalised_on), timeout=WAIT_MS)
    assert finalised_on == [threading.main_thread().name]


def test_no_worker_thread_outlives_a_stopped_kiosk(make_counter: Any) -> None:
    before = set(threading.enumerate())
    settings = FakeSettings(delivery=["show", "keyboard"],
                            keyboard=KeyboardSettings(backend="recording"))
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    (keyboard,) = [m for m in counter.kiosk.controller.deliveries
                   if isinstance(m, KeyboardDelivery)]
    backend = keyboard.wedge().backend
    assert isinstance(backend, RecordingKeyboard)
    typing = threading.Event()
    original = backend.type_text

    def slow_type(text: str, *, per_key_delay_s: float = 0.0) -> None:
        typing.set()
        time.sleep(0.5)  # a long number typed slowly into the desk's system
        original(text, per_key_delay_s=per_key_delay_s)

    backend.type_text = slow_type  # type: ignore[method-assign]
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    assert typing.wait(5)
    counter.kiosk.stop()
    alive = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert alive == []
    assert backend.typed  # the typing was finished, not cut off
