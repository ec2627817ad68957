"""Demo and unattended runs: type a demo PIN on the pad, screenshot, quit.

The demo PIN is typed by pressing the pad's buttons, as a person would, once per card
and never on the last try: a demo must not lock a card.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication  # noqa: TID251

from app.flow import State, View
from app.ports import EXIT_STATUS, ErrorKind
from app.ui.controller import CounterController
from app.ui.main_window import MainWindow
from drivers.card.pin import PIN_LENGTH, valid_pin

#: pause between two key presses of the demo, and before a screenshot
KEY_INTERVAL_MS = 300
SETTLE_MS = 300
#: unattended runs wait this long at most for typing or printing to report
DELIVERY_WAIT_MS = 60_000


def check_demo_pin(pin: str | None) -> None:
    if pin is not None and not valid_pin(pin):
        raise ValueError(f"the demo PIN must be {PIN_LENGTH} digits")


class KioskAutomation(QObject):
    """Watches ``controller.rendered`` and plays the unattended parts."""

    def __init__(
        self,
        *,
        app: QApplication,
        window: MainWindow,
        controller: CounterController,
        demo_pin: str | None,
        screenshot_path: Path | None,
        exit_after_result: bool,
    ) -> None:
        super().__init__(controller)
        check_demo_pin(demo_pin)
        self._app = app
        self._window = window
        self._controller = controller
        self._demo_pin = demo_pin
        self._screenshot_path = screenshot_path
        self._exit = exit_after_result
        self._typed = False
        controller.rendered.connect(self._on_rendered)

    def _on_rendered(self, state: State, view: View) -> None:
        tries = view.card.tries_left or 0
        match state:
            case State.CARD_PRESENT:
                self._typed = False  # a new tap (a new card, or a retry)
            case State.PIN_ENTRY if self._demo_pin and not self._typed:
                if not view.card.wrong_pin and tries >= 2:
                    self._typed = True
                    self._type(self._demo_pin)
            case State.PIN_ENTRY if self._demo_pin and view.card.wrong_pin and self._exit:
                self._finish_later(state, EXIT_STATUS[ErrorKind.WRONG_PIN])
            case State.CONFIRM_LAST_TRY if self._demo_pin and self._exit:
                self._finish_later(state, EXIT_STATUS[ErrorKind.LAST_TRY_REFUSED])
            case State.RESULT:
                self._finish_later(state, 0)
            case State.ERROR if self._exit:
                kind = view.error or ErrorKind.PLATFORM_ERROR
                self._finish_later(state, EXIT_STATUS[kind])
            case State.LOCKED_PIN if self._exit:
                self._finish_later(state, EXIT_STATUS[ErrorKind.PIN_BLOCKED])

    # typing ------------------------------------------------------------------------------
    def _type(self, pin: str) -> None:
        pad = self._window.pin
        buttons = [pad.digit_button(digit) for digit in pin] + [pad.ok_button]
        for i, widget in enumerate(buttons, start=1):
            QTimer.singleShot(i * KEY_INTERVAL_MS, widget, lambda w=widget: self._press(w))

    def _press(self, widget: QAbstractButton) -> None:
        if self._controller.flow.state is State.PIN_ENTRY:
            widget.animateClick()

    # finishing ---------------------------------------------------------------------------
    def _finish_later(self, state: State, code: int) -> None:
        QTimer.singleShot(SETTLE_MS, self, lambda: self._finish(state, code))

    def _finish(self, state: State, code: int, waited_ms: int = 0) -> None:
        if self._controller.flow.state is not state:
            return  # the screen changed meanwhile (e.g. a very short timeout)
        pending = sum(getattr(m, "pending", 0) for m in self._controller.deliveries)
        if pending and waited_ms < DELIVERY_WAIT_MS:  # typing or printing still under way
            QTimer.singleShot(SETTLE_MS, self,
                              lambda: self._finish(state, code, waited_ms + SETTLE_MS))
            return
        if self._screenshot_path is not None:
            self._window.grab().save(str(self._screenshot_path), "PNG")
        if self._exit:
            self._app.exit(code)

