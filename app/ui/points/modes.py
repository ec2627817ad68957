"""The points modes in the kiosk: buttons on the idle screen, and who gets the events.

:class:`PointsModes` stands between the kiosk's inputs (card monitor, screen intents)
and its two flows: while a points operation runs, the card and the lookup screens'
intents (PIN, Cancel …) go to the :class:`PointsController`; otherwise to the lookup
controller, as before. Once the idle screen is painted, the terminal's points scope is
asked for (and the outbox replayed) off the GUI thread; the idle screen then shows one
button per operation the terminal offers (lookup stays the default: a card on the reader
is looked up). This module stays light: the points flows, the wire schema and the
screens load only after the first paint.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget  # noqa: TID251

from app.flow import State
from app.i18n import Catalogue
from app.points.mode import OPERATIONS, Mode
from app.ui.points.texts import MODE_BUTTONS
from app.ui.screens.base import button

if TYPE_CHECKING:
    from app.flow import Event
    from app.points.services import PointsServices, StartUp
    from app.ui.controller import CounterController
    from app.ui.main_window import MainWindow
    from app.ui.points.controller import PointsController
    from app.ui.points.renderer import PointsScreens
    from server.api.schemas import PointsScope

log = logging.getLogger(__name__)

#: how often the outbox's due entries are sent again (``app.points.retry``)
RETRY_TICK_MS = 30_000


class ModeBar(QWidget):
    """A row of operation buttons on the idle screen; ``chosen(mode)``."""

    chosen = Signal(object)

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mode_bar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        row.addStretch(1)
        self.buttons: dict[Mode, QPushButton] = {}
        for mode in Mode:
            widget = button(texts.tr(MODE_BUTTONS[mode]), f"mode_{mode.value}", role="secondary")
            widget.clicked.connect(lambda _=False, m=mode: self.chosen.emit(m))
            widget.setVisible(False)
            row.addWidget(widget)
            self.buttons[mode] = widget
        row.addStretch(1)

    def show_modes(self, modes: set[Mode]) -> None:
        for mode, widget in self.buttons.items():
            widget.setVisible(mode in modes)

    def visible_modes(self) -> set[Mode]:
        return {mode for mode, widget in self.buttons.items() if not widget.isHidden()}


def offered_modes(scope: PointsScope | None, *, register: bool) -> set[Mode]:
    """The operations of a terminal with ``scope`` (and the register setting)."""
    modes: set[Mode] = {Mode.REGISTER} if register else set()
    for mode in scope.modes if scope is not None else ():
        modes.update(OPERATIONS.get(str(mode.value), ()))
    return modes


class PointsModes(QObject):
    """Routes the kiosk's inputs to the lookup or the points flow; owns the mode bar."""

    def __init__(
        self,
        *,
        window: MainWindow,
        lookup: CounterController,
        services: PointsServices,
        texts: Catalogue,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.lookup = lookup
        self.services = services
        self.texts = texts
        self.scope: PointsScope | None = None
        self.controller: PointsController | None = None
        self.screens: PointsScreens | None = None
        self.bar = ModeBar(texts)
        self.bar.chosen.connect(self.open)
        idle_layout = window.idle.layout()
        assert isinstance(idle_layout, QVBoxLayout)
        idle_layout.insertWidget(max(0, idle_layout.count() - 2), self.bar)
        self._began = False
        self._answered = False
        #: set by :meth:`stop`: a start-up answer arriving later is dropped (its widgets
        #: may be gone by then)
        self._stopped = False
        #: the outbox's retry schedule while the counter runs: started once the start-up
        #: (and its replay) answered; each tick runs on the card lane, one at a time
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_TICK_MS)
        self.retry_timer.timeout.connect(self.retry_tick)
        self._retrying = False
        #: retry passes that answered (the GUI tests wait on it)
        self.retry_passes = 0

    # start-up ----------------------------------------------------------------------------
    def begin(self) -> None:
        """After the first paint: the scope and the outbox replay, off the GUI thread."""
        if self._began or self._stopped:
            return  # started already (painted, or overdue), or stopping
        self._began = True
        self.lookup.background.run_in_background(
            self.services.start_up, self._started, self._start_failed, name="points-start-up")

    @property
    def start_answered(self) -> bool:
        """Whether the start-up (scope, outbox replay) has answered, or failed."""
        return self._answered

    def _start_failed(self, exc: BaseException) -> None:
        log.error("points start-up failed: %s", exc)
        self._started(None)

    def _started(self, result: object) -> None:
        if self._stopped:
            return
        self._answered = True
        startup: StartUp | None = result  # type: ignore[assignment]
        self.scope = startup.scope if startup is not None else None
        self.bar.show_modes(offered_modes(self.scope, register=self.services.register))
        if self.services.enabled:
            self.retry_timer.start()

    def retry_tick(self) -> None:
        """Send the outbox's due entries again, on the card lane (never while a points
        operation runs: its own sends come first; never two passes at once)."""
        if self._stopped or self._retrying or self.active:
            return
        self._retrying = True
        self.lookup.background.card_lane.run(
            self.services.retry_outbox, self._retried, self._retry_failed)

    def _retried(self, result: object) -> None:
        self._retrying = False
        self.retry_passes += 1

    def _retry_failed(self, exc: BaseException) -> None:
        log.warning("the outbox retry failed: %s", exc)
        self._retried(None)

    def ensure_controller(self) -> PointsController:
        """The points controller and screens, built on first use."""
        if self.controller is None:
            from app.ui.points.controller import PointsController
            from app.ui.points.renderer import PointsScreens

            self.screens = PointsScreens(self.window, self.texts, self._intent)
            self.controller = PointsController(
                services=self.services,
                background=self.lookup.background,
                renderer=self.screens,
                parent=self,
            )
        return self.controller

    # routing -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.controller is not None and self.controller.active

    def open(self, mode: object) -> bool:
        """Start an operation, from the idle screen only; True if it started."""
        assert isinstance(mode, Mode)
        if self.active or self.lookup.flow.state is not State.IDLE:
            return False
        if self.window.current_screen() is not self.window.idle:
            return False
        self.ensure_controller().open(mode, self.scope)
        return True

    def _intent(self, event: object) -> None:
        if self.controller is not None:
            self.controller.post(event)  # type: ignore[arg-type]

    @Slot(object)
    def post(self, event: Event) -> None:
        """A lookup screen's intent (PIN, Cancel, Retry …): to the flow that shows it."""
        if self.active:
            assert self.controller is not None
            self.controller.post(event)  # type: ignore[arg-type]
        else:
            self.lookup.post(event)

    @Slot(str)
    def card_inserted(self, reader: str) -> None:
        if self.active:
            assert self.controller is not None
            self.controller.card_inserted()
        else:
            self.lookup.card_inserted(reader)

    @Slot(str)
    def card_removed(self, reader: str) -> None:
        if self.active:
            assert self.controller is not None
            self.controller.card_removed()
        else:
            self.lookup.card_removed(reader)

    def stop(self) -> None:
        """No more answers reach the points flow (the lanes are joined after this)."""
        self._stopped = True
        self.retry_timer.stop()
        if self.controller is not None:
            self.controller.shutdown()

    def close(self) -> None:
        """Close the platform client: after the lanes that use it are joined."""
        self.services.close()
