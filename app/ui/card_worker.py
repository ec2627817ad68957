"""The one card thread: every Tapper call runs here, never on the GUI thread.

As electrum does with hardware wallets, all card I/O is serialised on a single thread;
the GUI asks through queued signals and hears back through :attr:`CardWorker.finished`.
The worker never touches a widget.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.flow import Authenticate, CardProbed, Event, LookupSucceeded, TapFailed
from app.ports import ErrorKind, TapError, Tapper

log = logging.getLogger(__name__)
REDACTED = "****"


def failure_of(exc: TapError) -> TapFailed:
    """The flow event for a TapError."""
    return TapFailed(kind=exc.kind, tries_left=exc.tries_left, detail=exc.detail)


def log_unexpected(operation: str, exc: BaseException, pin: str | None = None) -> None:
    """Log a bug in the tapper with its traceback, the PIN blanked out wherever it appears."""
    text = "".join(traceback.format_exception(exc))
    if pin:
        text = text.replace(pin, REDACTED)
    log.error("unexpected error during %s:\n%s", operation, text)


class CardWorker(QObject):
    """Runs ``Tapper.probe`` / ``Tapper.authenticate``; answers ``finished(job, event)``."""

    finished = Signal(int, object)

    def __init__(self, tapper: Tapper) -> None:
        super().__init__()
        self._tapper = tapper

    @Slot(int)
    def probe(self, job: int) -> None:
        event: Event
        try:
            event = CardProbed(self._tapper.probe())
        except TapError as exc:
            event = failure_of(exc)
        except Exception as exc:
            log_unexpected("probe", exc)
            event = TapFailed(ErrorKind.CARD_ERROR, detail=type(exc).__name__)
        self.finished.emit(job, event)

    @Slot(int, object)
    def authenticate(self, job: int, request: Authenticate) -> None:
        event: Event
        try:
            result = self._tapper.authenticate(request.pin, allow_last_try=request.allow_last_try)
            event = LookupSucceeded(result)
        except TapError as exc:
            event = failure_of(exc)
        except Exception as exc:
            log_unexpected("authenticate", exc, request.pin)
            event = TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)
        self.finished.emit(job, event)


class CardThread(QObject):
    """Owns the QThread and its :class:`CardWorker`; the GUI talks to it by signals."""

    probe_requested = Signal(int)
    authenticate_requested = Signal(int, object)

    def __init__(self, tapper: Tapper, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("card")
        self.worker = CardWorker(tapper)
        self.worker.moveToThread(self._thread)
        self.probe_requested.connect(self.worker.probe)
        self.authenticate_requested.connect(self.worker.authenticate)
        self._thread.finished.connect(self.worker.deleteLater)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_ms: int = 5000) -> None:
        """End the thread once the running call (which has its own timeouts) returns."""
        if not self._thread.isRunning():
            return
        self._thread.quit()
        if not self._thread.wait(wait_ms):
            log.warning("card thread still busy after %d ms; waiting for it", wait_ms)
            self._thread.wait()
