"""The GUI-thread garbage collector: automatic collection stays off while any kiosk runs."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from app.ui.main_thread_gc import MainThreadGarbageCollector, running_collectors


def test_collectors_nest_and_restore_automatic_collection(qtbot: QtBot) -> None:
    was = gc.isenabled()
    gc.enable()
    try:
        first, second = MainThreadGarbageCollector(), MainThreadGarbageCollector()
        first.start()
        second.start()
        assert not gc.isenabled() and running_collectors() == 2
        first.stop()  # the other kiosk still runs: its threads must not collect Qt objects
        assert not gc.isenabled() and running_collectors() == 1
        first.stop()  # twice is once
        assert running_collectors() == 1
        second.stop()
        assert gc.isenabled() and running_collectors() == 0
    finally:
        gc.enable() if was else gc.disable()


def test_a_collector_started_with_gc_off_leaves_it_off(qtbot: QtBot) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        collector = MainThreadGarbageCollector()
        collector.start()
        collector.stop()
        assert not gc.isenabled()
    finally:
        gc.enable() if was else gc.disable()
