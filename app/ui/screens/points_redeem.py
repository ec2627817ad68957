"""Shop: redeem a point voucher — scan its QR code (a scanner working as a keyboard)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget  # noqa: TID251

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import CodeEntered, PointsView, Step
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen, problem_label, show_problem


class PointsRedeemScreen(PointsScreen):
    """The code field has the focus: a scanner's Enter submits it."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_redeem", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 40, 64, 32)
        layout.addWidget(label(texts.tr("points.mode.redeem"), "caption"))
        layout.addStretch(1)
        layout.addWidget(label(texts.tr("points.redeem.hint"), "subtitle"))
        self.code = QLineEdit()
        self.code.setObjectName("voucher_code")
        self.code.setMaxLength(128)
        self.code.setMinimumHeight(72)
        self.code.returnPressed.connect(self._submit)
        layout.addWidget(self.code)
        self.problem = problem_label()
        layout.addWidget(self.problem)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.ok_button = button(texts.tr("points.redeem.use"), "ok")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.ok_button.clicked.connect(self._submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        layout.addLayout(row)

    def show_points(self, step: Step, view: PointsView) -> None:
        show_problem(self.problem, self.texts, view)
        if view.problem is not None:
            self.code.selectAll()
        self.code.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.code.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        text = self.code.text()
        if text.strip():
            self.intent.emit(CodeEntered(text))

    def clear(self) -> None:
        self.code.clear()
        self.problem.setText("")
