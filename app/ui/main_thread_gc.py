"""Keep Python's cyclic garbage collector on the GUI thread.

CPython collects cycles in whichever thread crosses the allocation threshold: here the
card thread or the PC/SC monitor's thread.  Qt objects caught in such garbage would then
be destroyed off the GUI thread, which crashes PySide.  While the kiosk runs, automatic
collection is off and this timer collects on the GUI thread instead (the pattern of
pyqtgraph's GarbageCollector and calibre).

Collectors nest (tests run several kiosks in one process): automatic collection stays
off until the last running collector stops, and is then restored as it was before the
first one started.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500

#: collectors started and not yet stopped, and whether gc was enabled before the first
_running = 0
_enabled_before = True


def running_collectors() -> int:
    """How many collectors run now (automatic collection is off while any does)."""
    return _running


class MainThreadGarbageCollector(QObject):
    def __init__(self, interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._started = False

    def start(self) -> None:
        global _running, _enabled_before
        if self._started:
            return
        self._started = True
        if _running == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _running += 1
        self._timer.start()

    def stop(self) -> None:
        global _running
        if not self._started:
            return
        self._started = False
        self._timer.stop()
        gc.collect()
        _running -= 1
        if _running == 0 and _enabled_before:
            gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as gc would."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        due = [gen for gen in range(3) if thresholds[gen] and counts[gen] > thresholds[gen]]
        if due:
            gc.collect(max(due))
