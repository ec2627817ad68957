"""What every screen has in common."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.qt_names import set_enum_property

if TYPE_CHECKING:
    from app.flow import View


class Screen(QWidget):
    """A page of the main window's stack."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts

    def show_view(self, view: View) -> None:
        """Render the flow's view; called on every change while this screen is current."""

    def clear(self) -> None:
        """Forget every personal datum this screen shows."""


def label(text: str, name: str, *, wrap: bool = True) -> QLabel:
    """A centred label styled by its object name."""
    widget = QLabel(text)
    widget.setObjectName(name)
    set_enum_property(widget, "alignment", "AlignCenter")  # app.ui.qt_names: no Qt enums
    widget.setWordWrap(wrap)
    return widget


def button(text: str, name: str, *, role: str = "primary") -> QPushButton:
    """A big touch button; ``role`` picks its colours in the style sheet."""
    widget = QPushButton(text)
    widget.setObjectName(name)
    widget.setProperty("role", role)
    set_enum_property(widget, "focusPolicy", "NoFocus")
    widget.setMinimumSize(200, 88)
    widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return widget
