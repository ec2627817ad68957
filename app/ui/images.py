"""Pillow images into Qt images."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from PIL import Image


def pil_to_qimage(image: Image.Image) -> QImage:
    """A deep copy of ``image`` as a QImage (RGBA), independent of Pillow's buffer."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes("raw", "RGBA")
    width, height = rgba.size
    return QImage(data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
