"""PIN entry: a large touch pad, dots for typed digits, the tries left."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget  # noqa: TID251

from app.flow import View
from app.i18n import Catalogue
from app.ui.screens.base import Screen, button, label
from drivers.card.pin import PIN_LENGTH, valid_pin

PAD_ROWS = ("123", "456", "789")


class PinDots(QWidget):
    """One circle per PIN digit, filled for typed ones; never the digits themselves."""

    def __init__(
        self, length: int = PIN_LENGTH, parent: QWidget | None = None, *, dot_px: int = 84
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pin_dots")
        self._length = length
        self._px = dot_px
        self._filled = 0
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(self._length * self._px, self._px)

    def set_filled(self, count: int) -> None:
        self._filled = count
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = QColor("#0b4f9c")
        px = self._px
        margin, diameter = px * 16 / 84, px * 52 / 84
        painter.setPen(QPen(ink, max(2, round(px * 5 / 84))))
        for i in range(self._length):
            painter.setBrush(ink if i < self._filled else QColor("#ffffff"))
            painter.drawEllipse(QRectF(i * px + margin, margin, diameter, diameter))
        painter.end()


class PinScreen(Screen):
    """The PIN pad; emits ``submitted(pin)`` on OK and ``cancelled`` on Cancel."""

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("pin")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._digits: list[str] = []
        self._buttons: dict[str, QPushButton] = {}

        root = QHBoxLayout(self)
        root.setContentsMargins(56, 40, 56, 40)
        root.setSpacing(48)
        root.addLayout(self._build_info(), 1)
        root.addLayout(self._build_pad(), 0)
        self._refresh()

    # layout ------------------------------------------------------------------------------
    def _build_info(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(label(self.texts.tr("pin.title"), "title"))
        column.addWidget(label(self.texts.tr("pin.subtitle"), "subtitle"))
        column.addSpacing(32)
        self.dots = PinDots()
        column.addWidget(self.dots, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(24)
        self.tries = label("", "tries")
        self.warning = label("", "pin_warning")
        column.addWidget(self.tries, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(8)
        column.addWidget(self.warning)
        column.addStretch(1)
        return column

    def _build_pad(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(24)
        column.addStretch(1)
        grid = QGridLayout()
        grid.setSpacing(16)
        for row, digits in enumerate(PAD_ROWS):
            for col, digit in enumerate(digits):
                grid.addWidget(self._digit_button(digit), row, col)
        self.clear_button = self._pad_button(self.texts.tr("pin.clear"), "pad_clear", "pad_edit")
        self.clear_button.clicked.connect(self._clear_digits)
        self.backspace_button = self._pad_button(
            self.texts.tr("pin.backspace"), "pad_backspace", "pad_edit"
        )
        self.backspace_button.clicked.connect(self._backspace)
        grid.addWidget(self.clear_button, 3, 0)
        grid.addWidget(self._digit_button("0"), 3, 1)
        grid.addWidget(self.backspace_button, 3, 2)
        column.addLayout(grid)
        actions = QHBoxLayout()
        actions.setSpacing(16)
        self.cancel_button = button(self.texts.tr("pin.cancel"), "cancel", role="secondary")
        self.cancel_button.clicked.connect(self.cancelled)
        self.ok_button = button(self.texts.tr("pin.ok"), "ok", role="primary")
        self.ok_button.clicked.connect(self._submit)
        for widget in (self.cancel_button, self.ok_button):
            widget.setMinimumSize(200, 96)
            actions.addWidget(widget, 1)
        column.addLayout(actions)
        column.addStretch(1)
        return column

    def _pad_button(self, text: str, name: str, role: str) -> QPushButton:
        widget = button(text, name, role=role)
        widget.setMinimumSize(136, 96)
        widget.setAutoRepeat(False)
        return widget

    def _digit_button(self, digit: str) -> QPushButton:
        widget = self._pad_button(digit, f"pad_{digit}", "pad")
        widget.clicked.connect(lambda: self.type_digit(digit))
        self._buttons[digit] = widget
        return widget

    def digit_button(self, digit: str) -> QPushButton:
        """The pad key of ``digit`` (the demo presses it as a person would)."""
        return self._buttons[digit]

    # behaviour ---------------------------------------------------------------------------
    def show_view(self, view: View) -> None:
        self._digits.clear()
        card = view.card
        tries = card.tries_left if card.tries_left is not None else 0
        self.tries.setText(self.texts.tr("pin.tries_left", tries=tries))
        last = tries == 1
        self.tries.setProperty("warning", last)
        if card.wrong_pin:
            self.warning.setText(self.texts.tr("pin.wrong", tries=tries))
        elif last:
            self.warning.setText(self.texts.tr("pin.last_try"))
        else:
            self.warning.setText("")
        self.warning.setVisible(bool(self.warning.text()))
        for widget in (self.tries, self.warning):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self._refresh()

    def clear(self) -> None:
        self._digits.clear()
        self._refresh()

    def type_digit(self, digit: str) -> None:
        if len(self._digits) < PIN_LENGTH and digit in "0123456789":
            self._digits.append(digit)
            self._refresh()

    def _backspace(self) -> None:
        if self._digits:
            self._digits.pop()
            self._refresh()

    def _clear_digits(self) -> None:
        self._digits.clear()
        self._refresh()

    def _submit(self) -> None:
        pin = "".join(self._digits)
        if not valid_pin(pin):
            return
        self._digits.clear()
        self._refresh()
        self.submitted.emit(pin)

    def _refresh(self) -> None:
        count = len(self._digits)
        self.dots.set_filled(count)
        self.dots.setAccessibleName(self.texts.tr("pin.entered", count=count))
        self.ok_button.setEnabled(valid_pin("".join(self._digits)))

    # the desk keyboard -------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        if len(text) == 1 and text in "0123456789":
            self.type_digit(text)
        elif key == Qt.Key.Key_Backspace:
            self._backspace()
        elif key == Qt.Key.Key_Delete:
            self._clear_digits()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._submit()
        elif key == Qt.Key.Key_Escape:
            self.cancelled.emit()
        else:
            super().keyPressEvent(event)
