"""Qt's namespace enums (``PySide6.QtCore.Qt``) kept off the kiosk's way to its first paint.

PySide makes every enum of the ``Qt`` namespace (≈ 93 enums, ≈ 1,200 members, through
Python's enum machinery) at once, the first time a module imports ``Qt``, C++ hands back
one of its values, or a call's overloads are told apart by one of them (``QBrush(colour)``,
``QPen(colour)``, ``QPainter.setPen``, ``setBrush``): ≈ 15–20 ms of CPU, a tenth of a bare
window's whole start-up. So what the idle screen does before its first paint names no
``Qt`` value: properties are set by their keys through Qt's property system (C++ converts
them), pens and brushes are made here, and code that runs later imports ``Qt`` in the
function that uses it. ``tests/gui/test_startup_lean.py`` checks that a windowed kiosk
paints without them (a full-screen one sets its window flags before it shows, and makes
the enums then).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QBrush, QColor, QPen


def set_enum_property(obj: QObject, name: str, keys: str) -> None:
    """Set the enum or flags property ``name`` of ``obj`` to ``keys``, Qt's own names
    (``"AlignCenter"``, ``"NoFocus"``, ``"ApplicationShortcut"``), as a style sheet's
    ``qproperty-…`` does. A name or key Qt does not know raises ValueError."""
    if not obj.setProperty(name, keys):
        raise ValueError(f"{type(obj).__name__}.{name} takes no {keys!r}")


def solid_pen(colour: QColor, width: float) -> QPen:
    """A solid pen of ``colour`` (square caps, bevel joins: Qt's defaults)."""
    pen = QPen(QBrush(), width)  # a pen of no brush: the one constructor that asks no enum
    pen.setColor(colour)  # … and a colour makes its brush solid
    return pen


def solid_brush(colour: QColor) -> QBrush:
    """A solid brush of ``colour`` (``QBrush(colour)`` would make Qt's enums)."""
    return solid_pen(colour, 0).brush()
