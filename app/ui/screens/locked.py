"""The PIN is blocked: only the municipal office can unlock it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import Screen, button, label


class LockedScreen(Screen):
    """A padlock and the way to the 市区町村の窓口."""

    dismissed = Signal()

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("locked")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(96, 48, 96, 48)
        layout.addStretch(1)
        layout.addWidget(Pictogram(Kind.LOCK, 170), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(label(texts.tr("locked.title"), "title"))
        layout.addSpacing(16)
        layout.addWidget(label(texts.tr("locked.message"), "message"))
        layout.addStretch(1)
        back = button(texts.tr("locked.back"), "back", role="secondary")
        back.setMinimumWidth(320)
        back.clicked.connect(self.dismissed)
        layout.addWidget(back, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addWidget(label(texts.tr("error.remove_card"), "footnote"))
