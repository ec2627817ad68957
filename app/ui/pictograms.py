"""Simple pictograms drawn with QPainter: no image files, crisp at any size."""

from __future__ import annotations

from enum import StrEnum

from PySide6 import QtCore  # its Qt namespace only when drawn: app.ui.qt_names
from PySide6.QtCore import QPointF, QRectF, QSize, QTimer
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

from app.ui.qt_names import solid_brush, solid_pen

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
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRectF(x - 4.5, top, 9, bottom - top), 4, 4)
    painter.drawEllipse(QPointF(x, bottom + 9), 5.5, 5.5)


def _reader(painter: QPainter) -> None:
    """The idle screen's pictogram, painted before Qt's enums exist: paths filled and
    stroked with ready-made brushes and pens only (``setPen`` / ``setBrush`` would make
    them, see :mod:`app.ui.qt_names`)."""
    # the reader: a flat box with a status light
    painter.fillPath(_rounded(QRectF(8, 70, 84, 22), 6), solid_brush(GREY))
    painter.fillPath(_ellipse(QPointF(80, 81), 3.5), solid_brush(QColor("#43a047")))
    # contactless waves
    for radius in (8.0, 15.0):
        _round_arc(painter, QPointF(50, 62), radius, 3.5, 40, 100, solid_brush(BLUE))
    # the card, hovering above
    card = _rounded(QRectF(18, 8, 64, 40), 5)
    painter.fillPath(card, solid_brush(PALE_BLUE))
    painter.strokePath(card, solid_pen(BLUE, 2.5))
    painter.fillPath(_rounded(QRectF(26, 20, 12, 10), 2), solid_brush(AMBER))
    for y in (18.0, 26.0, 34.0):
        painter.fillPath(_rounded(QRectF(46, y, 28, 3.5), 1.5), solid_brush(BLUE))
    # the face photo box of the My Number Card
    photo = QPainterPath()
    photo.addRect(QRectF(26, 34, 12, 9))
    painter.fillPath(photo, solid_brush(WHITE))
    painter.strokePath(photo, solid_pen(BLUE, 1.5))


def _rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


def _ellipse(centre: QPointF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(centre, radius, radius)
    return path


def _round_arc(painter: QPainter, centre: QPointF, radius: float, width: float,
               start_deg: float, span_deg: float, brush: QBrush) -> None:
    """An arc ``width`` thick with round ends, filled with ``brush``: what a round-capped
    pen's ``drawArc`` draws (counter-clockwise from ``start_deg``, 0° at three o'clock)."""
    outer, inner = radius + width / 2, radius - width / 2
    band = QPainterPath()
    band.arcMoveTo(_square(centre, outer), start_deg)
    band.arcTo(_square(centre, outer), start_deg, span_deg)
    band.arcTo(_square(centre, inner), start_deg + span_deg, -span_deg)
    band.closeSubpath()
    painter.fillPath(band, brush)
    for degrees in (start_deg, start_deg + span_deg):
        end = QPainterPath()
        end.arcMoveTo(_square(centre, radius), degrees)
        painter.fillPath(_ellipse(end.currentPosition(), width / 2), brush)


def _square(centre: QPointF, half: float) -> QRectF:
    return QRectF(centre.x() - half, centre.y() - half, 2 * half, 2 * half)


def _warning(painter: QPainter) -> None:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(50, 6), QPointF(95, 90), QPointF(5, 90)]))
    path.closeSubpath()
    painter.setPen(QPen(AMBER, 6, QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.RoundCap,
                        QtCore.Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(AMBER)
    painter.drawPath(path)
    _exclamation(painter, 50, 30, 66, INK)


def _error(painter: QPainter) -> None:
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(RED)
    painter.drawEllipse(QRectF(5, 5, 90, 90))
    _exclamation(painter, 50, 20, 62, WHITE)


def _lock(painter: QPainter) -> None:
    painter.setPen(QPen(GREY, 9, QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.FlatCap))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawArc(QRectF(28, 8, 44, 50), 0, 180 * 16)
    painter.drawLine(QPointF(28, 33), QPointF(28, 46))
    painter.drawLine(QPointF(72, 33), QPointF(72, 46))
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
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
        qt = QtCore.Qt
        painter.setPen(QPen(BLUE, pen_px, qt.PenStyle.SolidLine, qt.PenCapStyle.RoundCap))
        painter.drawArc(rect, -self._angle * 16, 100 * 16)
        painter.end()
