"""The staff's way into the settings: gesture → staff PIN → settings screen.

Only the idle screen lets the gesture through (Ctrl+Alt+S, or a long press on its
top-left corner), never while a patron's tap is in progress. Three wrong staff PINs send
the counter back to idle and lock the prompt out for a minute. A patron's card ends the
staff screens (unsaved changes are dropped). The staff screens, the keyring and the
settings form are loaded on the first gesture, never on the way to the first paint.

Kiosk lock-down (:meth:`StaffAccess.lock_down`, a full-screen counter): closing the window
or Ctrl+Q asks for the staff PIN first and closes only after it; minimising or leaving
full screen is undone at once unless the settings screen is open (the staff PIN was given),
and the counter goes back to full screen when the staff leave it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

from app.flow import State
from app.i18n import Catalogue
from app.ui.delivery import deliveries_for

if TYPE_CHECKING:
    from app.flow import View
    from app.secrets import TerminalKeyStore
    from app.settings import Settings
    from app.ui.controller import CounterController
    from app.ui.main_window import MainWindow
    from app.ui.screens.outbox_dead import DeadLetters
    from app.ui.screens.settings import SettingsScreen
    from app.ui.screens.staff_pin import StaffPinScreen

log = logging.getLogger(__name__)

MAX_FAILURES = 3
LOCKOUT_S = 60.0
#: a staff screen left alone this long returns to the idle screen (unsaved changes dropped)
STAFF_IDLE_MS = 120_000
_ACTIVITY = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
                       QEvent.Type.TouchBegin, QEvent.Type.Wheel})


class StaffAccess(QObject):
    """Opens the staff PIN prompt and, behind it, the settings screen."""

    def __init__(
        self,
        *,
        window: MainWindow,
        controller: CounterController,
        texts: Catalogue,
        home: Path,
        clock: Callable[[], float] = time.monotonic,
        queues: Callable[[], list[str]] | None = None,
        idle_ms: int = STAFF_IDLE_MS,
        outbox: DeadLetters | None = None,
    ) -> None:
        super().__init__(window)
        #: staff walked away: the counter stands in a public place
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_ms)
        self._idle.timeout.connect(self._left_alone)
        self.window = window
        self.controller = controller
        self.texts = texts
        self.home = Path(home)
        self.clock = clock
        #: the spooler's queues for the settings form (default: the system's)
        self.queues = queues
        #: the outbox's dead-letter list on the settings screen (the points modes')
        self.outbox = outbox
        self.failures = 0
        self.locked_until: float | None = None
        #: what the staff PIN opens: the settings, or the way out of the kiosk
        self.leaving = False
        self._may_close = False
        self._prompt: StaffPinScreen | None = None
        self._settings: SettingsScreen | None = None
        window.staff_requested.connect(self.request)
        controller.rendered.connect(self._flow_changed)

    # screens -----------------------------------------------------------------------------
    @property
    def prompt(self) -> StaffPinScreen:
        if self._prompt is None:
            from app.ui.screens.staff_pin import StaffPinScreen

            self._prompt = StaffPinScreen(self.texts)
            self._prompt.submitted.connect(self._submitted)
            self._prompt.cancelled.connect(self.back_to_idle)
        return self._prompt

    @property
    def settings_screen(self) -> SettingsScreen:
        if self._settings is None:
            from app.ui.screens.settings import SettingsScreen, available_queues

            self._settings = SettingsScreen(
                self.texts,
                home=self.home,
                service=lambda: self.controller.service,
                apply=self.apply,
                back=self.back_to_idle,
                queues=self.queues or available_queues,
                background=self.controller.background,
                outbox=self.outbox,
            )
        return self._settings

    # the gesture -------------------------------------------------------------------------
    def request(self, *, leave: bool = False) -> bool:
        """The staff's gesture: the prompt, from the idle screen only. True if it opened.

        ``leave``: the PIN closes the kiosk instead of opening the settings.
        """
        window = self.window
        if self.controller.flow.state is not State.IDLE:
            return False
        if window.showing_staff_screen() and not (leave and window.current_screen() is
                                                   self._settings):
            return False
        if not window.showing_staff_screen() and window.current_screen() is not window.idle:
            return False
        self.leaving = leave
        prompt = self.prompt
        prompt.reset()
        if leave:
            prompt.set_message(self.texts.tr("staff.leave"))
        refusal = self._refusal()
        if refusal is not None:
            prompt.set_pad_enabled(False)
            prompt.set_message(refusal)
        self.window.show_staff_screen(prompt)
        self._watch_activity(True)
        return True

    def _refusal(self) -> str | None:
        """Why the prompt cannot take a PIN now, or None."""
        remaining = self.lockout_remaining()
        if remaining > 0:
            return self.texts.tr("staff.locked", seconds=remaining)
        from app.secrets import SecretsError
        from app.staff import has_staff_pin

        try:
            if not has_staff_pin(self._store()):
                return self.texts.tr("staff.no_pin")
        except SecretsError as e:
            return self.texts.tr("staff.keyring_error", detail=str(e))
        return None

    def lockout_remaining(self) -> int:
        """Whole seconds left of the lock-out; 0 when not locked out."""
        if self.locked_until is None:
            return 0
        left = self.locked_until - self.clock()
        if left <= 0:
            self.locked_until = None
            return 0
        return max(1, round(left))

    def _store(self) -> TerminalKeyStore:
        from app.secrets import SecretsError, TerminalKeyStore
        from app.settings import SettingsError, load_settings

        try:
            settings = load_settings(self.home, service_cache=False)
        except SettingsError as e:
            raise SecretsError(str(e)) from None
        return TerminalKeyStore(settings.secrets_backend, self.home)

    def _submitted(self, pin: str) -> None:
        from app.secrets import SecretsError
        from app.staff import check_staff_pin

        prompt = self.prompt
        if self.lockout_remaining() > 0:
            return
        try:
            ok = check_staff_pin(self._store(), pin)
        except SecretsError as e:
            prompt.set_pad_enabled(False)
            prompt.set_message(self.texts.tr("staff.keyring_error", detail=str(e)))
            return
        if ok:
            self.failures = 0
            if self.leaving:
                self._leave()
            else:
                self.open_settings()
            return
        self.failures += 1
        log.warning("wrong staff PIN (%d of %d)", self.failures, MAX_FAILURES)
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self.locked_until = self.clock() + LOCKOUT_S
            self.back_to_idle()
            return
        prompt.set_message(self.texts.tr("staff.wrong", tries=MAX_FAILURES - self.failures))

    # lock-down ---------------------------------------------------------------------------
    def lock_down(self) -> None:
        """Guard the window: close and Ctrl+Q need the staff PIN; full screen is kept."""
        window = self.window
        window.close_guard = self.may_close
        window.may_leave_full_screen = self.unlocked
        window.lockdown = True

    def may_close(self) -> bool:
        """The window's close guard: True once the staff PIN was given to leave; otherwise
        the staff PIN prompt opens (from the idle or settings screen) and False."""
        if self._may_close:
            return True
        log.warning("closing the kiosk needs the staff PIN")
        self.request(leave=True)
        return False

    def unlocked(self) -> bool:
        """Whether the staff PIN was given (the settings screen shows): the window may then
        be minimised or leave full screen."""
        return self._settings is not None and self.window.current_screen() is self._settings

    def _leave(self) -> None:
        log.info("the staff closed the kiosk")
        self._may_close = True
        self.back_to_idle()
        self.window.lockdown = False
        self.window.close()

    def _flow_changed(self, state: State, view: View) -> None:
        """A patron's card took the screen over: the staff screens are left."""
        if state is not State.IDLE:
            self.back_to_idle()

    def open_settings(self) -> None:
        screen = self.settings_screen
        screen.open()
        self._take_focus(True)
        self.window.show_staff_screen(screen)
        self._watch_activity(True)

    def _watch_activity(self, on: bool) -> None:
        """While a staff screen shows (only then), every input event restarts its timer."""
        app = QCoreApplication.instance()
        if on:
            self._idle.start()
            if app is not None:
                app.installEventFilter(self)  # installing twice keeps one filter
        else:
            self._idle.stop()
            if app is not None:
                app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any touch, click or key while a staff screen shows restarts its idle timer."""
        if event.type() in _ACTIVITY:
            self._idle.start()
        return False

    def _left_alone(self) -> None:
        log.info("staff screen left alone: back to the idle screen")
        self.back_to_idle()

    def back_to_idle(self) -> None:
        """Leave the staff screens; unsaved settings are dropped."""
        self._watch_activity(False)
        if self._prompt is not None:
            self._prompt.clear()
        if self._settings is not None:
            self._settings.clear()
        self._take_focus(False)
        self.leaving = False
        if self.window.showing_staff_screen():
            self.window.show_idle()
        self.window.restore_full_screen()  # the staff may have minimised the counter

    def _take_focus(self, take: bool) -> None:
        """A keyboard-wedge counter never takes the focus; its settings form needs it for
        the text fields while it is open."""
        window = self.window
        if "keyboard" not in (m.name for m in self.controller.deliveries):
            return
        from PySide6.QtCore import Qt  # not at import: app.ui.qt_names

        flag = Qt.WindowType.WindowDoesNotAcceptFocus
        if bool(window.windowFlags() & flag) != (not take):
            window.setWindowFlag(flag, not take)
            window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, not take)
            if window.isFullScreen():
                window.showFullScreen()
            else:
                window.show()
            if take:
                window.activateWindow()

    # saving ------------------------------------------------------------------------------
    def apply(self, settings: Settings) -> bool:
        """The saved deliveries for the next taps; False when a restart is needed (the
        keyboard wedge was switched on or off: the window's focus rule changes with it)."""
        running = [m.name for m in self.controller.deliveries]
        if ("keyboard" in running) != ("keyboard" in settings.delivery):
            return False
        self.controller.set_deliveries(deliveries_for(
            settings.delivery,
            keyboard=settings.keyboard,
            label=settings.label,
            terminal_id=settings.terminal_id,
        ))
        return True
