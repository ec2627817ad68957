"""Points work on the one card thread: card proofs and the platform calls.

A :class:`PointsWorker` lives on the card thread (the QThread of the kiosk's
:class:`app.ui.card_worker.CardWorker`): card proofs and HTTP calls are serialised with
the lookups there, never on the GUI thread. ``run(job, work)`` calls ``work()`` and
answers ``finished(job, event)``; ``work`` must not raise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

Work = Callable[[], object]


class PointsWorker(QObject):
    """Runs one piece of points work at a time on the thread it was moved to."""

    finished = Signal(int, object)

    @Slot(int, object)
    def run(self, job: int, work: object) -> None:
        assert callable(work)
        try:
            event = work()
        except Exception:  # a bug: the controller waits for an answer all the same
            log.exception("points job %d failed", job)
            event = None
        self.finished.emit(job, event)


class PointsThread(QObject):
    """The GUI side of a :class:`PointsWorker` on ``thread`` (the card thread)."""

    requested = Signal(int, object)

    def __init__(self, thread: QThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = PointsWorker()
        self.worker.moveToThread(thread)
        self.requested.connect(self.worker.run)
        thread.finished.connect(self.worker.deleteLater)

    def run(self, job: int, work: Work) -> None:
        """Queue ``work`` on the card thread."""
        self.requested.emit(job, work)
