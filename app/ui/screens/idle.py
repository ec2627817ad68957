"""Idle: invite the patron to place the card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import Screen, label


class IdleScreen(Screen):
    """A reader pictogram, "カードをかざしてください" and the desk's service name."""

    def __init__(self, texts: Catalogue, service_name: str, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("idle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 32)
        layout.addStretch(2)
        layout.addWidget(Pictogram(Kind.READER, 260), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(24)
        layout.addWidget(label(texts.tr("idle.title"), "title"))
        layout.addWidget(label(texts.tr("idle.subtitle"), "subtitle"))
        layout.addStretch(3)
        self.service_name = label(service_name, "service")
        layout.addWidget(self.service_name)
        layout.addWidget(label(texts.tr("idle.privacy"), "footnote"))

    def set_service_name(self, name: str) -> None:
        """The desk's service changed (the platform's description arrived)."""
        self.service_name.setText(name)
