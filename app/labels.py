"""Same-day labels (delivery method D): the service ID, its barcode and the day of issue.

Rendering only; the transport is in ``drivers/printers``.  :func:`render_label` draws a
label at the device's resolution from a template in ``resources/labels`` (one TOML per
:class:`LabelSize`): text lines in a CJK font (Noto Sans CJK JP, found via fontconfig)
and the barcode from :func:`app.barcodes.render_barcode`, scaled only by whole module
widths and never resampled, so a scanner reads the printed label.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from app.barcodes import render_barcode
from resources import FOLDER
from server.api.schemas import BarcodeSpec, Symbology

VALIDITY_TEXT = "本日限り有効 / valid today only"
CJK_FAMILY = "Noto Sans CJK JP"
_MIN_FONT_PX = 10
_FONT_FILE_MARKERS = ("NotoSansCJK", "NotoSansJP")


class FontNotFound(RuntimeError):
    """No Japanese font: the label cannot be drawn."""


@dataclass(frozen=True)
class LabelContent:
    """What one label says."""

    service_name: str  # the service's display name
    provider: str
    service_id: str
    barcode: BarcodeSpec
    issued_at: datetime
    terminal_name: str


@dataclass(frozen=True)
class LabelSize:
    """A label stock: printable pixels at the device's resolution.

    ``height_px`` is ``None`` for endless tape and receipt rolls: the label is as long as
    its content.  ``brother_label`` is brother_ql's label identifier, if any.
    """

    key: str
    description: str
    width_px: int
    height_px: int | None
    dpi: int
    brother_label: str | None = None

    @property
    def template(self) -> str:
        return f"{self.key}.toml"


LABEL_62MM = LabelSize("62mm", "62 mm endless (Brother QL)", 696, None, 300, "62")
#: landscape: the 90 mm side runs across the image; brother_ql rotates it
LABEL_29X90 = LabelSize("29x90", "29×90 mm die-cut (Brother QL)", 991, 306, 300, "29x90")
LABEL_58MM = LabelSize("58mm", "58 mm receipt roll", 384, None, 203)
LABEL_80MM = LabelSize("80mm", "80 mm receipt roll", 576, None, 203)
LABEL_SIZES: dict[str, LabelSize] = {
    s.key: s for s in (LABEL_62MM, LABEL_29X90, LABEL_58MM, LABEL_80MM)
}


# --- fonts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int


@functools.cache
def find_cjk_font(bold: bool = False) -> FontFace:
    """Noto Sans CJK JP (file and face index in the .ttc) via ``fc-match``.

    Raises :class:`FontNotFound` with the package to install when fontconfig is missing
    or answers with a fallback font.
    """
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontNotFound("fc-match (fontconfig) not found: install fontconfig and fonts-noto-cjk")
    pattern = f"{CJK_FAMILY}:style={'Bold' if bold else 'Regular'}"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [fc_match, "-f", "%{file}|%{index}", pattern],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    file, _, index = result.stdout.strip().partition("|")
    path = Path(file)
    if result.returncode != 0 or not any(m in path.name for m in _FONT_FILE_MARKERS):
        raise FontNotFound(
            f"{CJK_FAMILY} is not installed (fontconfig offers {file or 'nothing'!r}): "
            "install fonts-noto-cjk"
        )
    return FontFace(path, int(index or 0))


@functools.cache
def _font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    face = find_cjk_font(bold)
    return ImageFont.truetype(str(face.path), size_px, index=face.index)


def _fitted_font(text: str, size_px: int, bold: bool, width: int) -> ImageFont.FreeTypeFont:
    """The largest font up to ``size_px`` in which ``text`` fits ``width`` pixels."""
    size = size_px
    while True:
        font = _font(size, bold)
        if font.getlength(text) <= width or size <= _MIN_FONT_PX:
            return font
        size = max(_MIN_FONT_PX, int(size * 0.9))


# --- templates ------------------------------------------------------------------------------


@functools.cache
def load_template(size: LabelSize) -> dict[str, Any]:
    """The layout of ``size`` from ``resources/labels/<key>.toml``."""
    text = (FOLDER / "labels" / size.template).read_text("utf-8")
    template = tomllib.loads(text)
    for line in template.get("line", []):
        if line.get("kind") not in ("text", "barcode"):
            raise ValueError(f"{size.template}: unknown line kind {line.get('kind')!r}")
    return template


# --- rendering ------------------------------------------------------------------------------


def fit_barcode(
    service_id: str, spec: BarcodeSpec, width: int, height_px: int, max_module_px: int
) -> Image.Image:
    """The barcode at the widest whole module width that fits ``width`` (quiet zones included).

    ``ValueError`` if even one pixel per module is too wide.
    """
    if spec.symbology is Symbology.QR:
        # render_barcode scales QR by whole modules up to about height_px
        return render_barcode(service_id, spec, module_px=1, height_px=min(height_px, width))
    for module_px in range(max_module_px, 0, -1):
        image = render_barcode(service_id, spec, module_px=module_px, height_px=height_px)
        if image.width <= width:
            return image
    raise ValueError(f"the barcode of {service_id!r} does not fit {width} px even at 1 px/module")


def _fields(content: LabelContent) -> dict[str, object]:
    return {
        "service": content.service_name,
        "provider": content.provider,
        "number": content.service_id,
        "terminal": content.terminal_name,
        "issued": content.issued_at,
    }


def _blocks(content: LabelContent, size: LabelSize) -> list[Image.Image]:
    """Each template line drawn on its own strip, full label width, grayscale."""
    template = load_template(size)
    margin = int(template.get("margin_px", 0))
    inner = size.width_px - 2 * margin
    fields = _fields(content)
    blocks: list[Image.Image] = []
    for line in template["line"]:
        if line["kind"] == "barcode":
            code = fit_barcode(
                content.service_id,
                content.barcode,
                size.width_px,
                int(line["height_px"]),
                int(line.get("max_module_px", 4)),
            )
            strip = Image.new("L", (size.width_px, code.height), 255)
            strip.paste(code.convert("L"), ((size.width_px - code.width) // 2, 0))
        else:
            text = str(line["text"]).format_map(fields)
            font = _fitted_font(text, int(line["font_px"]), bool(line.get("bold")), inner)
            ascent, descent = font.getmetrics()
            strip = Image.new("L", (size.width_px, ascent + descent), 255)
            ImageDraw.Draw(strip).text(
                (size.width_px // 2, 0), text, font=font, fill=0, anchor="ma"
            )
        blocks.append(strip)
    return blocks


def render_label(content: LabelContent, size: LabelSize) -> Image.Image:
    """The label as a 1-bit image at the device resolution (``info['dpi']`` set).

    ``ValueError`` if the content does not fit a die-cut label or the ID cannot be
    encoded; :class:`FontNotFound` without a Japanese font.
    """
    template = load_template(size)
    margin = int(template.get("margin_px", 0))
    gap = int(template.get("gap_px", 0))
    blocks = _blocks(content, size)
    needed = 2 * margin + sum(b.height for b in blocks) + gap * (len(blocks) - 1)
    height = size.height_px if size.height_px is not None else needed
    if needed > height:
        raise ValueError(f"the label needs {needed} px, {size.description} has {height}")
    canvas = Image.new("L", (size.width_px, height), 255)
    y = margin + (height - needed) // 2
    for block in blocks:
        canvas.paste(block, (0, y))
        y += block.height + gap
    label = canvas.point(lambda v: 255 if v >= 128 else 0, mode="1")
    label.info["dpi"] = (size.dpi, size.dpi)
    return label


def render_label_pdf(content: LabelContent, size: LabelSize, path: Path) -> None:
    """The label as a one-page PDF at its physical size (pixels / dpi)."""
    render_label(content, size).save(path, "PDF", resolution=float(size.dpi))
