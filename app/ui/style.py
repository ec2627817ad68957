"""Fonts and the style sheet of the counter."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication  # noqa: TID251

from resources import FOLDER

FONT_FAMILY = "Noto Sans CJK JP"
DIGITS_FAMILY = "Noto Sans Mono CJK JP"


def load_style_sheet() -> str:
    """The text of ``resources/styles/counter.qss``."""
    return (FOLDER / "styles" / "counter.qss").read_text(encoding="utf-8")


def apply_style(app: QApplication) -> None:
    """Give the application the counter's font and style sheet."""
    font = QFont(FONT_FAMILY)
    font.setPixelSize(28)
    app.setFont(font)
    app.setStyleSheet(load_style_sheet())
