"""Confirm link: the number of the service's own card in hand (typed, or a barcode
scanner working as a keyboard), before the holder's My Number Card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget  # noqa: TID251

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import LinkEntered, PointsView, Step
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen


class PointsLinkScreen(PointsScreen):
    """The number field has the focus: a scanner's Enter submits it."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_link", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 40, 64, 32)
        layout.addWidget(label(texts.tr("points.mode.confirm_link"), "caption"))
        layout.addStretch(1)
        layout.addWidget(label(texts.tr("points.link.hint"), "subtitle"))
        self.number = QLineEdit()
        self.number.setObjectName("link_number")
        self.number.setMaxLength(64)
        self.number.setMinimumHeight(72)
        self.number.returnPressed.connect(self._submit)
        layout.addWidget(self.number)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.ok_button = button(texts.tr("points.link.next"), "ok")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.ok_button.clicked.connect(self._submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        layout.addLayout(row)

    def show_points(self, step: Step, view: PointsView) -> None:
        self.number.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.number.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        text = self.number.text()
        if text.strip():
            self.intent.emit(LinkEntered(text))

    def clear(self) -> None:
        self.number.clear()
