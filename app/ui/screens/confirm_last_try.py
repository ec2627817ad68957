"""Before the last PIN try: say plainly what a wrong PIN would do, and ask."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import Screen, button, label


class ConfirmLastTryScreen(Screen):
    """Continue / Cancel before the one remaining PIN try."""

    confirmed = Signal()
    cancelled = Signal()

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("confirm_last_try")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(96, 48, 96, 48)
        layout.addStretch(1)
        layout.addWidget(Pictogram(Kind.WARNING, 150), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(label(texts.tr("confirm.title"), "title"))
        layout.addSpacing(16)
        layout.addWidget(label(texts.tr("confirm.message"), "message"))
        layout.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(48)
        self.cancel_button = button(texts.tr("confirm.cancel"), "cancel", role="secondary")
        self.continue_button = button(texts.tr("confirm.continue"), "continue", role="warning")
        for widget in (self.cancel_button, self.continue_button):
            widget.setMinimumWidth(320)
            row.addWidget(widget)
        self.cancel_button.clicked.connect(self.cancelled)
        self.continue_button.clicked.connect(self.confirmed)
        layout.addLayout(row)
        layout.addSpacing(24)
