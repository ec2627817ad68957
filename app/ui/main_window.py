"""The kiosk window: a stack of screens, one per flow state, and the screens' intents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.delivery import ResultDisplay
from app.ui.qt_names import set_enum_property
from app.ui.screens.base import Screen
from app.ui.screens.idle import IdleScreen

if TYPE_CHECKING:
    from app.flow import State, View
    from app.ui.screens.confirm_last_try import ConfirmLastTryScreen
    from app.ui.screens.error import ErrorScreen
    from app.ui.screens.locked import LockedScreen
    from app.ui.screens.pin import PinScreen
    from app.ui.screens.querying import QueryingScreen
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

        self._service_name = self._shown_name(service_name)
        self.idle = IdleScreen(texts, self._service_name)
        #: the other flow screens, made when first needed (``complete_stack`` makes them all
        #: right after the idle screen's first paint): their modules and widgets are not
        #: on the way to the first paint, and a shown window polishes every widget in it
        self._built: dict[str, Screen] = {}
        self.stack = QStackedWidget()
        self.stack.addWidget(self.idle)
        self.setCentralWidget(self.stack)
        #: staff: Ctrl+Q closes the kiosk (through ``close_guard``)
        self.quit_shortcut = QShortcut(QKeySequence("Ctrl+Q"), self)
        # by name: no Qt enums before the first paint (app.ui.qt_names)
        set_enum_property(self.quit_shortcut, "context", "ApplicationShortcut")
        self.quit_shortcut.activated.connect(self.close)
        #: staff: Ctrl+Alt+S asks for the staff PIN (the settings); only the idle screen
        #: lets it through (:mod:`app.ui.staff_access`)
        self.staff_shortcut = QShortcut(QKeySequence("Ctrl+Alt+S"), self)
        set_enum_property(self.staff_shortcut, "context", "ApplicationShortcut")
        self.staff_shortcut.activated.connect(self.staff_requested)
        self.idle.staff_requested.connect(self.staff_requested)

    # the flow screens ------------------------------------------------------------------
    def complete_stack(self) -> None:
        """Make every flow screen (after the first paint; idempotent)."""
        # the flow's modules are imported where used: not on the way to the first paint
        # (app.ui.kiosk_flow)
        from app.flow import State

        for state in State:
            self.screen_for(state)

    def _keep(self, key: str, screen: Screen) -> None:
        # into the stack at once: the window owns the screen from its first moment (an
        # unparented widget would be a top-level window of its own)
        self._built[key] = screen
        self.stack.addWidget(screen)

    def screen_for(self, state: State) -> Screen:
        """The screen that renders ``state`` (made on first use)."""
        from app.flow import State

        screen: Screen
        match state:
            case State.IDLE:
                screen = self.idle
            case State.CARD_PRESENT | State.QUERYING:
                screen = self.querying
            case State.CONFIRM_LAST_TRY:
                screen = self.confirm_last_try
            case State.PIN_ENTRY:
                screen = self.pin
            case State.RESULT:
                screen = self.result
            case State.ERROR:
                screen = self.error
            case State.LOCKED_PIN:
                screen = self.locked
        return screen

    @property
    def screens(self) -> dict[State, Screen]:
        """Every flow state's screen (makes those not yet made)."""
        from app.flow import State

        return {state: self.screen_for(state) for state in State}

    def _made(self) -> list[Screen]:
        return [self.idle, *self._built.values()]

    @property
    def pin(self) -> PinScreen:
        if "pin" not in self._built:
            from app.flow import Cancel, PinEntered
            from app.ui.screens.pin import PinScreen

            screen = PinScreen(self._texts)
            screen.submitted.connect(lambda pin: self.intent.emit(PinEntered(pin)))
            screen.cancelled.connect(lambda: self.intent.emit(Cancel()))
            self._keep("pin", screen)
        return cast("PinScreen", self._built["pin"])

    @property
    def confirm_last_try(self) -> ConfirmLastTryScreen:
        if "confirm_last_try" not in self._built:
            from app.flow import Cancel, LastTryConfirmed
            from app.ui.screens.confirm_last_try import ConfirmLastTryScreen

            screen = ConfirmLastTryScreen(self._texts)
            screen.confirmed.connect(lambda: self.intent.emit(LastTryConfirmed()))
            screen.cancelled.connect(lambda: self.intent.emit(Cancel()))
            self._keep("confirm_last_try", screen)
        return cast("ConfirmLastTryScreen", self._built["confirm_last_try"])

    @property
    def querying(self) -> QueryingScreen:
        if "querying" not in self._built:
            from app.ui.screens.querying import QueryingScreen

            self._keep("querying", QueryingScreen(self._texts))
        return cast("QueryingScreen", self._built["querying"])

    @property
    def result(self) -> ResultScreen:
        if "result" not in self._built:
            from app.flow import Cancel
            from app.ui.screens.result import ResultScreen

            screen = ResultScreen(self._texts, self._service_name)
            screen.done.connect(lambda: self.intent.emit(Cancel()))
            self._keep("result", screen)
        return cast("ResultScreen", self._built["result"])

    @property
    def error(self) -> ErrorScreen:
        if "error" not in self._built:
            from app.flow import Cancel, Retry
            from app.ui.screens.error import ErrorScreen

            screen = ErrorScreen(self._texts)
            screen.retry.connect(lambda: self.intent.emit(Retry()))
            screen.dismissed.connect(lambda: self.intent.emit(Cancel()))
            self._keep("error", screen)
        return cast("ErrorScreen", self._built["error"])

    @property
    def locked(self) -> LockedScreen:
        if "locked" not in self._built:
            from app.flow import Cancel
            from app.ui.screens.locked import LockedScreen

            screen = LockedScreen(self._texts)
            screen.dismissed.connect(lambda: self.intent.emit(Cancel()))
            self._keep("locked", screen)
        return cast("LockedScreen", self._built["locked"])

    def _shown_name(self, service_name: str | None) -> str:
        if service_name is None:
            return self._texts.tr("error.not_enrolled.title")
        return service_name

    def set_service_name(self, service_name: str | None) -> None:
        """Show another service's name (its description arrived after start-up)."""
        self._service_name = self._shown_name(service_name)
        self.idle.set_service_name(self._service_name)
        if "result" in self._built:
            self.result.set_service_name(self._service_name)

    # staff screens ---------------------------------------------------------------------
    def show_staff_screen(self, screen: Screen) -> None:
        """Show a staff screen (staff PIN, settings) over the idle screen; the next flow
        change (a patron's card) replaces it."""
        if self.stack.indexOf(screen) < 0:
            self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)

    def showing_staff_screen(self) -> bool:
        return self.current_screen() not in self._made()

    def show_idle(self) -> None:
        """Back from a staff screen to the idle screen."""
        self.stack.setCurrentWidget(self.idle)

    # Renderer ----------------------------------------------------------------------------
    def show_state(self, state: State, view: View) -> None:
        from app.flow import State

        screen = self.screen_for(state)
        if state in (State.CARD_PRESENT, State.QUERYING):
            from app.ui.screens.querying import QUERYING, READING

            self.querying.set_texts(READING if state is State.CARD_PRESENT else QUERYING)
        screen.show_view(view)
        self.stack.setCurrentWidget(screen)

    def clear_personal_data(self) -> None:
        for screen in self._made():
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
        # Qt's enums only where needed: a windowed kiosk that takes the focus paints
        # without them (app.ui.qt_names)
        from PySide6 import QtCore

        if not take_focus:
            self.setWindowFlag(QtCore.Qt.WindowType.WindowDoesNotAcceptFocus, True)
            self.setAttribute(QtCore.Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        if fullscreen:
            self.setWindowFlag(QtCore.Qt.WindowType.WindowStaysOnTopHint, True)
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
        if not self.lockdown:
            return False  # not asking the state: its enum is Qt's (app.ui.qt_names)
        from PySide6.QtCore import Qt

        state = self.windowState()
        return (
            bool(state & Qt.WindowState.WindowMinimized)
            or not state & Qt.WindowState.WindowFullScreen
        )

    def restore_full_screen(self) -> None:
        """Back to full screen and on top (lock-down), unless the staff PIN allows otherwise."""
        if not self.left_full_screen() or self.may_leave_full_screen() or not self.isVisible():
            return
        from PySide6.QtCore import Qt

        self.setWindowState(Qt.WindowState.WindowFullScreen)
        self.showFullScreen()
        self.raise_()
