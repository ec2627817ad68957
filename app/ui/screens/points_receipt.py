"""Shop payment: the points are held and the receipt prints; confirm (post) or cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import Confirm, PointsView, Step
from app.ui.points.texts import points_text
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen


class PointsReceiptScreen(PointsScreen):
    """The held amount, its account, the receipt's printing; 確定 / 取消."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_receipt", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 40, 64, 32)
        layout.addWidget(label(texts.tr("points.receipt.title"), "title"))
        layout.addStretch(1)
        self.amount = label("", "amount")
        self.account = label("", "subtitle")
        self.printing = label("", "message")
        for widget in (self.amount, self.account, self.printing):
            layout.addWidget(widget)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("points.receipt.void"), "void", role="secondary")
        self.confirm_button = button(texts.tr("points.receipt.post"), "post")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.confirm_button.clicked.connect(lambda: self.intent.emit(Confirm()))
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        layout.addLayout(row)

    def show_points(self, step: Step, view: PointsView) -> None:
        payment = view.payment
        self.amount.setText(points_text(payment.amount) if payment else "")
        if view.balances and view.selected < len(view.balances):
            balance = view.balances[view.selected]
            self.account.setText(balance.event_name or balance.municipality_name)
        if view.printed is None:
            self.printing.setText(self.texts.tr("points.progress.printing"))
        elif view.printed:
            self.printing.setText(self.texts.tr("points.receipt.printed"))
        else:
            self.printing.setText(self.texts.tr("points.print_failed", detail=view.print_error))

    def clear(self) -> None:
        for widget in (self.amount, self.account, self.printing):
            widget.setText("")
