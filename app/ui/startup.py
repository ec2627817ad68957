"""Start-up in two halves, split at the first paint of the main window.

``build_kiosk`` builds only what the idle screen needs. Once the window's first paint has
completed, :class:`KioskStartup`

1. reports it (``idle_painted``) — ``mykey-counter --startup-check`` ends here;
2. starts the card monitor (pyscard and the PC/SC thread);
3. runs the caller's blocking start-up work (the platform client, the service refresh)
   and the deliveries' imports on the kiosk's "kiosk-startup" background lane
   (:mod:`app.ui.background`), which never touches a widget: its outcome comes back on
   the GUI thread.

A window that is never painted (never exposed) must not leave the counter deaf: after
:data:`PAINT_FALLBACK_MS` the second half starts anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot

from app.ports import TapError
from app.ui.delivery import warm_up

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget  # noqa: TID251

    from app.ui.background import Background
    from app.ui.delivery import Delivery

log = logging.getLogger(__name__)

#: after this long without a first paint, the monitor and the background work start anyway
PAINT_FALLBACK_MS = 5000


class FirstPaint(QObject):
    """Emits ``painted(t)`` once the first paint of ``widget`` has completed.

    The widget gets its Paint event before its children are painted and the backing store
    is flushed, all within one event; a zero-timer queued from there fires after all of
    it. ``t`` is ``time.perf_counter()`` at that moment.
    """

    painted = Signal(float)

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._seen = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._seen and watched is self._widget and event.type() == QEvent.Type.Paint:
            self._seen = True
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self, self._report)
        return False

    def _report(self) -> None:
        self.painted.emit(time.perf_counter())


class Startable(Protocol):
    """The card monitor, as far as start-up is concerned."""

    def start(self) -> None: ...


def preload_wire_schema() -> None:
    """Import pydantic and the wire schema on this (the GUI) thread, once.

    The start-up work, the card lane and the points start-up each import them on their
    own thread; pydantic resolves its names lazily, and two threads importing it for the
    first time at once can see a half-initialised module ("cannot import name
    'BaseModel'"). Importing it here first, before any of those threads starts, makes
    their imports plain look-ups.
    """
    import server.api.schemas  # noqa: F401


class KioskStartup(QObject):
    """The second half of start-up, begun by the first paint of ``window``."""

    #: ``time.perf_counter()`` once the idle screen is painted
    idle_painted = Signal(float)
    #: no paint within :data:`PAINT_FALLBACK_MS`; the second half starts anyway
    paint_overdue = Signal()
    #: what the background work returned (a new service description, or None)
    work_done = Signal(object)
    #: the background work raised this TapError: the counter cannot work (not enrolled)
    refused = Signal(object)
    #: the second half begins (after the first paint, or when it is overdue): the wire
    #: schema is imported; background threads may start now
    continuing = Signal()

    def __init__(
        self,
        window: QWidget,
        *,
        monitor: Startable,
        background: Background,
        deliveries: Sequence[Delivery],
        work: Callable[[], object] | Sequence[Callable[[], object]] | None = None,
        fallback_ms: int = PAINT_FALLBACK_MS,
    ) -> None:
        super().__init__(window)
        self._monitor = monitor
        self._background = background
        self._deliveries = list(deliveries)
        #: run one after the other on a background thread; each result is reported by
        #: ``work_done`` as soon as it is there (the cached service before the refresh)
        self._works: list[Callable[[], object]] = (
            [] if work is None else [work] if callable(work) else list(work))
        #: the deliveries' imports still to do with the first piece of work
        self._warm_up: list[Delivery] = list(self._deliveries)
        self._continued = False
        self._stopped = False
        #: ``time.perf_counter()`` of the first paint, once it happened
        self.painted_at: float | None = None
        self._first_paint = FirstPaint(window)
        self._first_paint.painted.connect(self._on_painted)
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.setInterval(fallback_ms)
        self._fallback.timeout.connect(self._on_overdue)

    def begin(self) -> None:
        """Call right before the window is shown."""
        self._fallback.start()

    def stop(self) -> None:
        """Start nothing more (the kiosk is closing); running work is left to finish."""
        self._stopped = True
        self._fallback.stop()

    @property
    def continued(self) -> bool:
        """Whether the second half (monitor, background work) has started."""
        return self._continued

    @Slot(float)
    def _on_painted(self, painted_at: float) -> None:
        self.painted_at = painted_at
        self._fallback.stop()
        self.idle_painted.emit(painted_at)  # the startup check may stop everything here
        self._continue()

    @Slot()
    def _on_overdue(self) -> None:
        log.warning("the window was not painted within %d ms; starting anyway",
                    self._fallback.interval())
        self.paint_overdue.emit()
        self._continue()

    def _continue(self) -> None:
        if self._continued or self._stopped:
            return
        self._continued = True
        preload_wire_schema()
        self.continuing.emit()
        self._monitor.start()
        self._next_job()

    def _next_job(self) -> None:
        if not self._works or self._stopped:
            return
        work = self._works.pop(0)
        deliveries, self._warm_up = self._warm_up, []

        def background() -> object:  # plain data only: this runs on the startup lane
            value = work()
            warm_up(deliveries)  # the first result then renders without imports
            return value

        self._background.run_in_background(background, self._on_finished, self._on_failed,
                                           name="kiosk-startup")

    def _on_finished(self, value: object) -> None:
        if not self._stopped:
            self.work_done.emit(value)
            self._next_job()

    def _on_failed(self, exc: BaseException) -> None:
        if self._stopped:
            return
        if isinstance(exc, TapError):
            self.refused.emit(exc)
            return
        log.error("start-up work failed", exc_info=exc)
