"""A points operation's card screen: "place the card", naming the operation and, for one
that moves points, what the card will sign for."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import PointsView, Step
from app.ui.pictograms import Kind, Pictogram
from app.ui.points.texts import MODE_BUTTONS, points_text
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen


class PointsCardScreen(PointsScreen):
    """The operation's name, the reader pictogram and "キャンセル"."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_card", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 40, 48, 32)
        self.mode = label("", "caption")
        layout.addWidget(self.mode)
        layout.addStretch(1)
        layout.addWidget(Pictogram(Kind.READER, 220), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(label(texts.tr("idle.title"), "title"))
        layout.addWidget(label(texts.tr("points.card.subtitle"), "subtitle"))
        self.signs = label("", "subtitle")
        self.signs.setObjectName("signs_for")
        layout.addWidget(self.signs)
        layout.addStretch(2)
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)

    def show_points(self, step: Step, view: PointsView) -> None:
        self.mode.setText(self.texts.tr(MODE_BUTTONS[view.mode]))
        points = view.grant_form.points if view.grant_form is not None else view.amount
        self.signs.setText(self.texts.tr("points.card.signs_for", points=points_text(points)))
        self.signs.setVisible(points > 0)
