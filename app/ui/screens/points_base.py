"""What the points screens have in common: one ``intent`` signal, ``show_points``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.points.errors import MESSAGES
from app.points.flows import PointsView, Step
from app.ui.screens.base import Screen, label


class PointsScreen(Screen):
    """A page of a points operation; every operator action leaves as ``intent(event)``."""

    intent = Signal(object)

    def __init__(self, texts: Catalogue, name: str, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName(name)

    def show_points(self, step: Step, view: PointsView) -> None:
        """Render ``step`` and ``view`` (nothing else of the flow); called on every change
        while the screen is current."""


def problem_label() -> QLabel:
    """The red line of a refusal on a form."""
    widget = label("", "pin_warning")
    widget.setVisible(False)
    return widget


def show_problem(widget: QLabel, texts: Catalogue, view: PointsView) -> None:
    """The refusal of ``view`` (or nothing) in ``widget``."""
    text = texts.tr(MESSAGES[view.problem]) if view.problem is not None else ""
    widget.setText(text)
    widget.setVisible(bool(text))
