"""Simple pictograms drawn with QPainter: no image files, crisp at any size."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QBrush,
    QColor,
    QHideEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QShowEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget  # noqa: TID251

INK = QColor("#1a1a1a")
BLUE = QColor("#0b4f9c")
PALE_BLUE = QColor("#dbe9f8")
AMBER = QColor("#e8a000")
RED = QColor("#c62828")
GREY = QColor("#5f6368")
WHITE = QColor("#ffffff")


class Kind(StrEnum):
    READER = "reader"
    WARNING = "warning"
    ERROR = "error"
    LOCK = "lock"


class Pictogram(QWidget):
    """A square pictogram of one :class:`Kind`."""

    def __init__(self, kind: Kind, size_px: int = 200, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = kind
        self._size_px = size_px
        self.setFixedSize(size_px, size_px)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @property
    def kind(self) -> Kind:
        return self._kind

    def set_kind(self, kind: Kind) -> None:
        self._kind = kind
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self._size_px, self._size_px)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(self.width() / 100.0, self.height() / 100.0)
        match self._kind:
            case Kind.READER:
                _reader(painter)
            case Kind.WARNING:
                _warning(painter)
            case Kind.ERROR:
                _error(painter)
            case Kind.LOCK:
                _lock(painter)
        painter.end()


def _exclamation(painter: QPainter, x: float, top: float, bottom: float, colour: QColor) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRectF(x - 4.5, top, 9, bottom - top), 4, 4)
    painter.drawEllipse(QPointF(x, bottom + 9), 5.5, 5.5)


def _reader(painter: QPainter) -> None:
    # the reader: a flat box with a status light
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(GREY)
    painter.drawRoundedRect(QRectF(8, 70, 84, 22), 6, 6)
    painter.setBrush(QColor("#43a047"))
    painter.drawEllipse(QPointF(80, 81), 3.5, 3.5)
    # contactless waves
    pen = QPen(BLUE, 3.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for radius in (8.0, 15.0):
        painter.drawArc(QRectF(50 - radius, 62 - radius, 2 * radius, 2 * radius), 40 * 16, 100 * 16)
    # the card, hovering above
    painter.setPen(QPen(BLUE, 2.5))
    painter.setBrush(PALE_BLUE)
    painter.drawRoundedRect(QRectF(18, 8, 64, 40), 5, 5)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(AMBER)
    painter.drawRoundedRect(QRectF(26, 20, 12, 10), 2, 2)
    painter.setBrush(BLUE)
    for y in (18.0, 26.0, 34.0):
        painter.drawRoundedRect(QRectF(46, y, 28, 3.5), 1.5, 1.5)
    # the face photo box of the My Number Card
    painter.setBrush(QBrush(WHITE))
    painter.setPen(QPen(BLUE, 1.5))
    painter.drawRect(QRectF(26, 34, 12, 9))


def _warning(painter: QPainter) -> None:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(50, 6), QPointF(95, 90), QPointF(5, 90)]))
    path.closeSubpath()
    painter.setPen(QPen(AMBER, 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                        Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(AMBER)
    painter.drawPath(path)
    _exclamation(painter, 50, 30, 66, INK)


def _error(painter: QPainter) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(RED)
    painter.drawEllipse(QRectF(5, 5, 90, 90))
    _exclamation(painter, 50, 20, 62, WHITE)


def _lock(painter: QPainter) -> None:
    painter.setPen(QPen(GREY, 9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawArc(QRectF(28, 8, 44, 50), 0, 180 * 16)
    painter.drawLine(QPointF(28, 33), QPointF(28, 46))
    painter.drawLine(QPointF(72, 33), QPointF(72, 46))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(RED)
    painter.drawRoundedRect(QRectF(16, 44, 68, 50), 8, 8)
    painter.setBrush(WHITE)
    painter.drawEllipse(QPointF(50, 64), 7, 7)
    painter.drawRoundedRect(QRectF(46.5, 64, 7, 18), 2, 2)


class Spinner(QWidget):
    """A turning arc; it animates only while visible."""

    def __init__(self, size_px: int = 120, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size_px, size_px)
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self._step)

    def _step(self) -> None:
        self._angle = (self._angle + 12) % 360
        self.update()

    def showEvent(self, event: QShowEvent) -> None:
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        pen_px = side / 10
        rect = QRectF(pen_px, pen_px, side - 2 * pen_px, side - 2 * pen_px)
        painter.setPen(QPen(PALE_BLUE, pen_px))
        painter.drawEllipse(rect)
        painter.setPen(QPen(BLUE, pen_px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawArc(rect, -self._angle * 16, 100 * 16)
        painter.end()
