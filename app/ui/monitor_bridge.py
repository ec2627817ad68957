"""Card monitor callbacks (any thread) into Qt signals (the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class MonitorBridge(QObject):
    """Pass ``on_insert`` / ``on_remove`` to the monitor; connect to the signals.

    The callbacks only emit; Qt queues the signal to the receivers' (GUI) thread.
    """

    inserted = Signal(str)
    removed = Signal(str)

    def on_insert(self, reader: str) -> None:
        self.inserted.emit(reader)

    def on_remove(self, reader: str) -> None:
        self.removed.emit(reader)
