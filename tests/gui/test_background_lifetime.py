"""Lifetimes across threads: nothing of Qt is freed off the GUI thread, no thread outlives
the kiosk. Every hand-off is followed by a forced switch to the other thread."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject

from app.flow import State
from app.ports import CardStatus
from app.recording import RecordingKeyboard, RecordingPrinter
from app.settings import KeyboardSettings, LabelSettings
from app.ui.background import Background
from app.ui.delivery import KeyboardDelivery, LabelDelivery
from tests.gui.conftest import WAIT_MS, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui


GUI = threading.main_thread().name


@pytest.fixture
def hand_off(monkeypatch: Any) -> None:
    """Right after each emit, the emitting thread sleeps: the GUI thread runs the callbacks
    and drops its references while the worker is still in the middle of its loop."""
    from app.ui import background

    original = background.Background._announce

    def announce_then_hand_off(self: Any, job_id: int) -> None:
        original(self, job_id)
        time.sleep(0.02)

    monkeypatch.setattr(background.Background, "_announce", announce_then_hand_off)


class Tracked:
    """A value whose finalisation records the thread it happened on."""

    def __init__(self, where: list[str]) -> None:
        weakref.finalize(self, lambda: where.append(threading.current_thread().name))


def test_work_results_errors_and_callbacks_are_freed_on_the_gui_thread(
    qtbot: Any, hand_off: None
) -> None:
    parent = QObject()
    background = Background(parent)
    where: list[str] = []
    answers: list[str] = []
    bridges: list[str] = []
    weakref.finalize(background._bridge, lambda: bridges.append(threading.current_thread().name))

    def submit(background: Background, fail: bool, lane: str) -> None:
        captured, done_state, failed_state = Tracked(where), Tracked(where), Tracked(where)

        def work() -> Tracked:
            assert captured is not None
            if fail:
                raise ValueError(Tracked(where))
            return Tracked(where)

        def done(value: Tracked) -> None:
            assert done_state is not None
            answers.append("done")

        def failed(exc: BaseException) -> None:
            assert failed_state is not None
            answers.append("failed")

        if lane == "card":
            background.card_lane.caller().run(work, done, failed)
        else:
            background.run_in_background(work, done, failed, name=lane)

    for i in range(20):
        submit(background, i % 3 == 0, "card" if i % 2 else "printer")
    qtbot.waitUntil(lambda: len(answers) == 20, timeout=WAIT_MS)
    threads = background.threads()
    background.stop()
    assert answers.count("failed") == 7
    assert len(where) == 20 * 4 and set(where) == {GUI}  # 3 closures' data + 1 outcome each
    assert not any(thread.is_alive() for thread in threads)
    assert all(not thread.daemon for thread in threads)
    del background
    shiboken6.delete(parent)  # the window goes: its child, the bridge, with it
    gc.collect()
    assert bridges == [GUI]


def test_a_superseded_card_answer_is_dropped(qtbot: Any) -> None:
    parent = QObject()
    background = Background(parent)
    caller = background.card_lane.caller()
    gate = threading.Event()
    answers: list[str] = []
    caller.run(lambda: gate.wait(5) and "old", answers.append, lambda exc: None)
    caller.run(lambda: "new", answers.append, lambda exc: None)
    gate.set()
    qtbot.waitUntil(lambda: background.pending() == 0, timeout=WAIT_MS)
    background.stop()
    assert answers == ["new"]


def test_work_queued_before_stop_still_runs_and_its_answer_is_dropped(qtbot: Any) -> None:
    parent = QObject()
    background = Background(parent)
    ran: list[int] = []
    answers: list[object] = []
    for i in range(3):
        background.run_in_background(lambda i=i: (time.sleep(0.05), ran.append(i)),
                                     answers.append, answers.append, name="receipt")
    background.stop()
    assert ran == [0, 1, 2] and answers == []
    background.run_in_background(lambda: ran.append(9), answers.append, answers.append,
                                 name="receipt")
    assert background.pending() == 0 and ran == [0, 1, 2]  # after stop: refused


def test_the_spooler_printer_refuses_a_worker_thread(qtbot: Any) -> None:
    from PIL import Image

    from drivers.printers.cups import SpoolerPrinter

    errors: list[BaseException] = []

    def print_off_thread() -> None:
        try:
            SpoolerPrinter("nowhere").print_image(Image.new("L", (10, 10)), job_name="x")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=print_off_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert "GUI thread" in str(errors[0])


def test_no_worker_thread_outlives_a_stopped_kiosk(
    make_counter: Any, hand_off: None, monkeypatch: Any
) -> None:
    """Typing and a label still under way when the kiosk stops: both finish, every thread
    is joined, and every job of the kiosk is freed on the GUI thread."""
    from app.ui import background as module

    freed: list[str] = []
    original_submit = module.Background._submit

    def tracked_submit(self: Any, lane: str, work: Any, *args: Any) -> None:
        original_submit(self, lane, work, *args)
        for job in self._pending.values():
            if not hasattr(job, "_tracked"):
                job._tracked = weakref.finalize(
                    job, lambda: freed.append(threading.current_thread().name))

    monkeypatch.setattr(module.Background, "_submit", tracked_submit)
    before = set(threading.enumerate())
    settings = FakeSettings(delivery=["show", "keyboard", "label"],
                            keyboard=KeyboardSettings(backend="recording"),
                            label=LabelSettings(printer="recording"))
    counter = make_counter(FakeTapper([CardStatus(3)], [lookup()]), settings)
    (keyboard,) = [m for m in counter.kiosk.controller.deliveries
                   if isinstance(m, KeyboardDelivery)]
    (label,) = [m for m in counter.kiosk.controller.deliveries if isinstance(m, LabelDelivery)]
    backend = keyboard.wedge().backend
    printer = label.printer()
    assert isinstance(backend, RecordingKeyboard) and isinstance(printer, RecordingPrinter)
    typing = threading.Event()
    original_type, original_print = backend.type_text, printer.print_image

    def slow_type(text: str, *, per_key_delay_s: float = 0.0) -> None:
        typing.set()
        time.sleep(0.5)  # a long number typed slowly into the desk's system
        original_type(text, per_key_delay_s=per_key_delay_s)

    def slow_print(image: Any, *, copies: int = 1, job_name: str) -> None:
        time.sleep(0.5)  # a label printer warming up
        original_print(image, copies=copies, job_name=job_name)

    backend.type_text = slow_type  # type: ignore[method-assign]
    printer.print_image = slow_print  # type: ignore[method-assign]
    counter.insert()
    counter.wait_for(State.PIN_ENTRY)
    counter.type_pin()
    counter.wait_for(State.RESULT)
    assert typing.wait(5)
    counter.kiosk.stop()
    alive = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert alive == []
    assert backend.typed and len(printer.jobs) == 1  # finished, not cut off
    gc.collect()
    assert len(freed) >= 4 and set(freed) == {GUI}  # probe, proof, typing, label
