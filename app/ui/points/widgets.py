"""Widgets of the points screens: a touch number pad and QR codes on screen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (  # noqa: TID251
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Catalogue
from app.ui.screens.base import button, label

#: points amounts up to 9,999,999
MAX_DIGITS = 7


def login_field(name: str) -> QLineEdit:
    """A staff account's login (ASCII letters, digits, ``. _ -``)."""
    field = QLineEdit()
    field.setObjectName(name)
    field.setMaxLength(32)
    field.setMinimumHeight(64)
    field.setInputMethodHints(Qt.InputMethodHint.ImhPreferLatin)
    return field


def code_field(name: str) -> QLineEdit:
    """A staff PIN or TOTP code: digits, masked; the screen clears it once it is sent."""
    field = QLineEdit()
    field.setObjectName(name)
    field.setMaxLength(12)
    field.setMinimumHeight(64)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
    )
    return field


class NumberPad(QWidget):
    """An amount in large digits above a 3×4 pad; ``changed(value)`` on every key."""

    changed = Signal(int)

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("number_pad")
        self._digits = ""
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self.display = label("0 pt", "amount", wrap=False)
        layout.addWidget(self.display)
        grid = QGridLayout()
        grid.setSpacing(12)
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate("123456789C0<"):
            text = {"C": texts.tr("pin.clear"), "<": texts.tr("pin.backspace")}.get(key, key)
            widget = button(text, f"amount_{key}", role="pad" if key.isdigit() else "pad_edit")
            widget.setMinimumSize(120, 80)
            widget.clicked.connect(lambda _=False, k=key: self.press(k))
            self.keys[key] = widget
            grid.addWidget(widget, index // 3, index % 3)
        layout.addLayout(grid)

    def press(self, key: str) -> None:
        """A pad key: a digit, ``C`` (clear) or ``<`` (backspace)."""
        if key == "C":
            self._digits = ""
        elif key == "<":
            self._digits = self._digits[:-1]
        elif key.isdigit() and len(self._digits) < MAX_DIGITS:
            self._digits = (self._digits + key).lstrip("0")
        self._refresh()

    def type_amount(self, amount: int) -> None:
        """Press the digits of ``amount`` (tests, as a clerk would)."""
        self.clear()
        for digit in str(amount):
            self.press(digit)

    def value(self) -> int:
        return int(self._digits or "0")

    def lock(self, locked: bool) -> None:
        """Show the amount only (its keys hidden and off): a figure that can no longer change."""
        for key in self.keys.values():
            key.setVisible(not locked)
        self.setEnabled(not locked)

    def clear(self) -> None:
        self._digits = ""
        self._refresh()

    def _refresh(self) -> None:
        self.display.setText(f"{self.value():,} pt")
        self.changed.emit(self.value())


def qr_image(payload: str, size_px: int = 320) -> QImage:
    """``payload`` as a QR code, whole modules, about ``size_px`` wide."""
    import segno

    qr = segno.make_qr(payload, error="m")
    modules = int(qr.symbol_size(scale=1, border=4)[0])
    scale = max(1, size_px // modules)
    data = bytes(0 if dark else 255 for row in qr.matrix_iter(border=4) for dark in row)
    small = QImage(data, modules, modules, modules, QImage.Format.Format_Grayscale8).copy()
    side = modules * scale
    return small.scaled(
        side, side, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation
    )


class QrLabel(QLabel):
    """A QR code on screen; empty until :meth:`show_payload`."""

    def __init__(self, name: str, size_px: int = 320, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._size = size_px
        self.payload: str | None = None

    def show_payload(self, payload: str | None) -> None:
        self.payload = payload
        if payload is None:
            self.clear()
            self.setVisible(False)
            return
        self.setPixmap(QPixmap.fromImage(qr_image(payload, self._size)))
        self.setVisible(True)
