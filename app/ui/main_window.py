"""The kiosk window: a stack of screens, one per flow state, and the screens' intents."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget  # noqa: TID251

from app.flow import Cancel, LastTryConfirmed, PinEntered, Retry, State, View
from app.i18n import Catalogue
from app.ui.delivery import ResultDisplay
from app.ui.screens.base import Screen
from app.ui.screens.confirm_last_try import ConfirmLastTryScreen
from app.ui.screens.error import ErrorScreen
from app.ui.screens.idle import IdleScreen
from app.ui.screens.locked import LockedScreen
from app.ui.screens.pin import PinScreen
from app.ui.screens.querying import QUERYING, READING, QueryingScreen
from app.ui.screens.result import ResultScreen

DEFAULT_SIZE = (1280, 800)

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Renders the flow's state; every screen intent leaves as ``intent(event)``.

    ``service_name`` is the display name of the desk's service; ``None`` before enrollment
    (the startup check of a new counter), when the idle screen names no service but says
    the terminal is not enrolled.
    """

    intent = Signal(object)
    #: staff: Ctrl+Alt+S, or a long press on the idle screen's top-left corner
    staff_requested = Signal()

    def __init__(
        self, texts: Catalogue, service_name: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(texts.tr("app.title"))
        self._texts = texts
        #: guard for closing the kiosk (the staff PIN, :mod:`app.ui.staff_access`):
        #: return False to refuse
        self.close_guard: Callable[[], bool] | None = None
        #: kiosk lock-down: minimising or leaving full screen is undone at once unless
        #: ``may_leave_full_screen()`` (the staff PIN was given) says otherwise
        self.lockdown = False
        self.may_leave_full_screen: Callable[[], bool] = lambda: False

        name = self._shown_name(service_name)
        self.idle = IdleScreen(texts, name)
        self.pin = PinScreen(texts)
        self.confirm_last_try = ConfirmLastTryScreen(texts)
        self.querying = QueryingScreen(texts)
        self.result = ResultScreen(texts, name)
        self.error = ErrorScreen(texts)
        self.locked = LockedScreen(texts)
        self.screens: dict[State, Screen] = {
            State.IDLE: self.idle,
            State.CARD_PRESENT: self.querying,
            State.CONFIRM_LAST_TRY: self.confirm_last_try,
            State.PIN_ENTRY: self.pin,
            State.QUERYING: self.querying,
            State.RESULT: self.result,
            State.ERROR: self.error,
            State.LOCKED_PIN: self.locked,
        }
        self.stack = QStackedWidget()
        for screen in dict.fromkeys(self.screens.values()):
            self.stack.addWidget(screen)
        self.setCentralWidget(self.stack)
        self._wire_intents()
        #: staff: Ctrl+Q closes the kiosk (through ``close_guard``)
        self.quit_shortcut = QShortcut(QKeySequence("Ctrl+Q"), self)
        self.quit_shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_shortcut.activated.connect(self.close)
        #: staff: Ctrl+Alt+S asks for the staff PIN (the settings); only the idle screen
        #: lets it through (:mod:`app.ui.staff_access`)
        self.staff_shortcut = QShortcut(QKeySequence("Ctrl+Alt+S"), self)
        self.staff_shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.staff_shortcut.activated.connect(self.staff_requested)
        self.idle.staff_requested.connect(self.staff_requested)

    def _shown_name(self, service_name: str | None) -> str:
        if service_name is None:
            return self._texts.tr("error.not_enrolled.title")
        return service_name

    def set_service_name(self, service_name: str | None) -> None:
        """Show another service's name (its description arrived after start-up)."""
        name = self._shown_name(service_name)
        self.idle.set_service_name(name)
        self.result.set_service_name(name)

    def _wire_intents(self) -> None:
        emit = self.intent.emit
        self.pin.submitted.connect(lambda pin: emit(PinEntered(pin)))
        self.pin.cancelled.connect(lambda: emit(Cancel()))
        self.confirm_last_try.confirmed.connect(lambda: emit(LastTryConfirmed()))
        self.confirm_last_try.cancelled.connect(lambda: emit(Cancel()))
        self.result.done.connect(lambda: emit(Cancel()))
        self.error.retry.connect(lambda: emit(Retry()))
        self.error.dismissed.connect(lambda: emit(Cancel()))
        self.locked.dismissed.connect(lambda: emit(Cancel()))

    # staff screens ---------------------------------------------------------------------
    def show_staff_screen(self, screen: Screen) -> None:
        """Show a staff screen (staff PIN, settings) over the idle screen; the next flow
        change (a patron's card) replaces it."""
        if self.stack.indexOf(screen) < 0:
            self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)

    def showing_staff_screen(self) -> bool:
        return self.current_screen() not in self.screens.values()

    def show_idle(self) -> None:
        """Back from a staff screen to the idle screen."""
        self.stack.setCurrentWidget(self.idle)

    # Renderer ----------------------------------------------------------------------------
    def show_state(self, state: State, view: View) -> None:
        screen = self.screens[state]
        if state is State.CARD_PRESENT:
            self.querying.set_texts(READING)
        elif state is State.QUERYING:
            self.querying.set_texts(QUERYING)
        screen.show_view(view)
        self.stack.setCurrentWidget(screen)

    def clear_personal_data(self) -> None:
        for screen in dict.fromkeys(self.screens.values()):
            screen.clear()

    @property
    def result_display(self) -> ResultDisplay:
        return self.result

    def current_screen(self) -> Screen:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Screen)
        return widget

    # kiosk -------------------------------------------------------------------------------
    def show_kiosk(self, *, fullscreen: bool, take_focus: bool = True) -> None:
        """Full screen and on top at the desk; a normal window for development.

        ``take_focus=False`` (the keyboard wedge types into the library system's window):
        the counter never takes the keyboard focus; its PIN pad works by touch or mouse.
        """
        if not take_focus:
            self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
            self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        if fullscreen:
            self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
            # without a window manager (a bare X kiosk session) the full-screen request
            # has nobody to honour it: cover the screen ourselves as well
            screen = self.screen()
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self.resize(*DEFAULT_SIZE)
            self.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_guard is not None and not self.close_guard():
            event.ignore()
            return
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange and self.left_full_screen():
            if not self.may_leave_full_screen():
                log.warning("the kiosk left full screen without the staff PIN: restored")
                QTimer.singleShot(0, self.restore_full_screen)

    def left_full_screen(self) -> bool:
        """Whether the locked-down kiosk is minimised or no longer full screen."""
        state = self.windowState()
        return self.lockdown and (
            bool(state & Qt.WindowState.WindowMinimized)
            or not state & Qt.WindowState.WindowFullScreen
        )

    def restore_full_screen(self) -> None:
        """Back to full screen and on top (lock-down), unless the staff PIN allows otherwise."""
        if not self.left_full_screen() or self.may_leave_full_screen() or not self.isVisible():
            return
        self.setWindowState(Qt.WindowState.WindowFullScreen)
        self.showFullScreen()
        self.raise_()
