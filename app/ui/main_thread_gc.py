"""Keep Python's cyclic garbage collector on the GUI thread.

CPython collects cycles in whichever thread crosses the allocation threshold: here the
card thread or the PC/SC monitor's thread.  Qt objects caught in such garbage would then
be destroyed off the GUI thread, which crashes PySide.  While the kiosk runs, automatic
collection is off and this timer collects on the GUI thread instead (the pattern of
pyqtgraph's GarbageCollector and calibre).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = gc.isenabled()

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as gc would."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        due = [gen for gen in range(3) if thresholds[gen] and counts[gen] > thresholds[gen]]
        if due:
            gc.collect(max(due))
