"""MyKey ID registration: the card proved, a one-time link as a QR code for the phone."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.points.flows import Finish, PointsView, Step
from app.ui.points.widgets import QrLabel
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen


class RegisterScreen(PointsScreen):
    """The QR code, how to use it (Japanese first), until the timer clears it."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "register", parent)
        root = QHBoxLayout(self)
        root.setContentsMargins(48, 40, 48, 32)
        self.qr = QrLabel("register_qr", 360)
        root.addWidget(self.qr, 0)
        column = QVBoxLayout()
        column.addWidget(label(texts.tr("register.title"), "title"))
        column.addWidget(label(texts.tr("register.explanation"), "message"))
        self.expires = label("", "subtitle")
        column.addWidget(self.expires)
        column.addWidget(label(texts.tr("register.privacy"), "footnote"))
        column.addStretch(1)
        self.finish_button = button(texts.tr("result.done"), "finish")
        self.finish_button.clicked.connect(lambda: self.intent.emit(Finish()))
        column.addWidget(self.finish_button)
        root.addLayout(column, 1)
        self.clear()

    def show_points(self, step: Step, view: PointsView) -> None:
        ticket = view.ticket
        self.qr.show_payload(ticket.url if ticket is not None else None)
        if ticket is not None:
            local = ticket.expires_at.astimezone()
            self.expires.setText(self.texts.tr("register.expires", time=local.strftime("%H:%M")))

    def clear(self) -> None:
        self.qr.show_payload(None)
        self.expires.setText("")
