"""Idle: invite the patron to place the card."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import Catalogue
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import Screen, label

#: the staff's long press on the idle screen's top-left corner
STAFF_HOLD_MS = 3000
STAFF_CORNER_PX = 120


class StaffCorner(QWidget):
    """An invisible top-left square: pressed and held for ``hold_ms`` it emits ``held``.

    Touch screens deliver a finger as mouse events to widgets that take no touch events.
    """

    held = Signal()

    def __init__(self, parent: QWidget | None = None, hold_ms: int = STAFF_HOLD_MS) -> None:
        super().__init__(parent)
        self.setObjectName("staff_corner")
        self.setFixedSize(STAFF_CORNER_PX, STAFF_CORNER_PX)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(hold_ms)
        self.timer.timeout.connect(self.held)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.timer.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.timer.stop()  # let go too soon: nothing
        event.accept()


class IdleScreen(Screen):
    """A reader pictogram, "カードをかざしてください" and the desk's service name."""

    #: the staff's gesture (see :class:`StaffCorner`)
    staff_requested = Signal()

    def __init__(self, texts: Catalogue, service_name: str, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("idle")
        self.staff_corner = StaffCorner(self)
        self.staff_corner.held.connect(self.staff_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 32)
        layout.addStretch(2)
        centred = QHBoxLayout()  # stretches either side: no Qt enum (app.ui.qt_names)
        centred.addStretch(1)
        centred.addWidget(Pictogram(Kind.READER, 260))
        centred.addStretch(1)
        layout.addLayout(centred)
        layout.addSpacing(24)
        layout.addWidget(label(texts.tr("idle.title"), "title"))
        layout.addWidget(label(texts.tr("idle.subtitle"), "subtitle"))
        layout.addStretch(3)
        self.service_name = label(service_name, "service")
        layout.addWidget(self.service_name)
        layout.addWidget(label(texts.tr("idle.privacy"), "footnote"))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.staff_corner.move(0, 0)
        self.staff_corner.raise_()

    def set_service_name(self, name: str) -> None:
        """The desk's service changed (the platform's description arrived)."""
        self.service_name.setText(name)
