"""The staff PIN prompt before the settings: the PIN screen's big pad, digits hidden."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.flow import View
from app.i18n import Catalogue
from app.staff import MAX_LENGTH, MIN_LENGTH
from app.ui.screens.base import label
from app.ui.screens.pin import PinDots, PinScreen


class StaffPinScreen(PinScreen):
    """6–12 digits; emits ``submitted(pin)`` on OK and ``cancelled`` on Back.

    ``set_message`` shows a wrong PIN, the lock-out or why the settings are refused;
    ``set_pad_enabled(False)`` leaves only the Back button.
    """

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("staff_pin")
        self.cancel_button.setText(texts.tr("staff.back"))
        self._pad_enabled = True

    def _build_info(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(label(self.texts.tr("staff.pin.title"), "title"))
        column.addWidget(label(
            self.texts.tr("staff.pin.subtitle", min=MIN_LENGTH, max=MAX_LENGTH), "subtitle"))
        column.addSpacing(32)
        self.dots = PinDots(MAX_LENGTH, dot_px=40)
        column.addWidget(self.dots, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(24)
        self.tries = label("", "tries")  # unused here; PinScreen expects it
        self.tries.hide()
        self.warning = label("", "pin_warning")
        column.addWidget(self.warning)
        column.addStretch(1)
        return column

    def show_view(self, view: View) -> None:
        """Not a flow screen: nothing to render."""

    def set_message(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def set_pad_enabled(self, enabled: bool) -> None:
        self._pad_enabled = enabled
        for widget in (*self._buttons.values(), self.clear_button, self.backspace_button):
            widget.setEnabled(enabled)
        self.clear()

    def reset(self) -> None:
        """Empty, pad on, no message: as the staff's gesture opens it."""
        self.set_pad_enabled(True)
        self.set_message("")

    def type_digit(self, digit: str) -> None:
        if self._pad_enabled and len(self._digits) < MAX_LENGTH and digit in "0123456789":
            self._digits.append(digit)
            self._refresh()

    def _submit(self) -> None:
        if not self._pad_enabled or len(self._digits) < MIN_LENGTH:
            return
        pin = "".join(self._digits)
        self._digits.clear()
        self._refresh()
        self.submitted.emit(pin)

    def _refresh(self) -> None:
        count = len(self._digits)
        self.dots.set_filled(count)
        self.dots.setAccessibleName(self.texts.tr("pin.entered", count=count))
        self.ok_button.setEnabled(getattr(self, "_pad_enabled", True) and count >= MIN_LENGTH)
