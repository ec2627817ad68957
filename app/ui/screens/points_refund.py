"""Shop staff: refund (part of) a posted payment, by its number on the receipt."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget  # noqa: TID251

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import PointsView, RefundEntered, Step
from app.ui.points.widgets import NumberPad
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen, problem_label, show_problem


class PointsRefundScreen(PointsScreen):
    """The payment number (typed or scanned), the points to give back; 返金 / キャンセル."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_refund", parent)
        root = QHBoxLayout(self)
        root.setContentsMargins(40, 32, 40, 32)
        left = QVBoxLayout()
        left.addWidget(label(texts.tr("points.mode.refund"), "caption"))
        left.addWidget(label(texts.tr("points.refund.payment"), "subtitle"))
        self.payment = QLineEdit()
        self.payment.setObjectName("payment_id")
        self.payment.setMaxLength(64)
        self.payment.setMinimumHeight(64)
        self.payment.textChanged.connect(lambda _: self._refresh())
        left.addWidget(self.payment)
        self.problem = problem_label()
        left.addWidget(self.problem)
        left.addStretch(1)
        root.addLayout(left, 1)
        right = QVBoxLayout()
        self.pad = NumberPad(texts)
        self.pad.changed.connect(lambda _: self._refresh())
        right.addWidget(self.pad)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.ok_button = button(texts.tr("points.refund.do"), "ok")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.ok_button.clicked.connect(
            lambda: self.intent.emit(RefundEntered(self.payment.text(), self.pad.value()))
        )
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        right.addLayout(row)
        root.addLayout(right, 0)
        self._refresh()

    def show_points(self, step: Step, view: PointsView) -> None:
        show_problem(self.problem, self.texts, view)

    def _refresh(self) -> None:
        self.ok_button.setEnabled(bool(self.payment.text().strip()) and self.pad.value() > 0)

    def clear(self) -> None:
        self.payment.clear()
        self.pad.clear()
        self.problem.setText("")
