"""Waiting for the card or the platform: a spinner and one line of text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import N_, Catalogue
from app.ui.pictograms import Spinner
from app.ui.screens.base import Screen, label

#: (message, hint) while the card is probed and while the platform is asked
READING = (N_("reading.message"), N_("reading.hint"))
QUERYING = (N_("querying.message"), N_("querying.hint"))


class QueryingScreen(Screen):
    """"確認しています…" with a turning spinner."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("querying")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.addStretch(2)
        layout.addWidget(Spinner(140), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(32)
        self.message = label("", "title")
        self.hint = label("", "subtitle")
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addStretch(3)
        self.set_texts(QUERYING)

    def set_texts(self, keys: tuple[str, str]) -> None:
        """Show one of :data:`READING` or :data:`QUERYING`."""
        self.message.setText(self.texts.tr(keys[0]))
        self.hint.setText(self.texts.tr(keys[1]))
