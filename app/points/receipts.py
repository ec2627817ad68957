"""Receipts and point vouchers as images for the label printers (``drivers/printers``).

The layout comes from ``resources/labels/receipt.toml``; the width from the terminal's
label stock (:class:`app.labels.LabelSize`), the length from the content. A voucher
carries its code as a QR code (``VOUCHER_QR_PREFIX`` + code), drawn by whole modules.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from app.labels import LabelSize, find_cjk_font
from app.points.flows.events import Receipt
from resources import FOLDER

TEMPLATE = "receipt.toml"
_MIN_FONT_PX = 10


@functools.cache
def load_receipt_template() -> dict[str, Any]:
    """The receipt layout from ``resources/labels/receipt.toml``."""
    text = (FOLDER / "labels" / TEMPLATE).read_text("utf-8")
    return tomllib.loads(text)


@functools.cache
def _font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    face = find_cjk_font(bold)
    return ImageFont.truetype(str(face.path), size_px, index=face.index)


def _text_strip(text: str, size_px: int, bold: bool, width: int, margin: int) -> Image.Image:
    size = size_px
    font = _font(size, bold)
    while font.getlength(text) > width - 2 * margin and size > _MIN_FONT_PX:
        size = max(_MIN_FONT_PX, int(size * 0.9))
        font = _font(size, bold)
    ascent, descent = font.getmetrics()
    strip = Image.new("L", (width, ascent + descent), 255)
    ImageDraw.Draw(strip).text((width // 2, 0), text, font=font, fill=0, anchor="ma")
    return strip


def _qr_strip(payload: str, width: int, module_px: int) -> Image.Image:
    import segno

    qr = segno.make_qr(payload, error="m")
    modules = int(qr.symbol_size(scale=1, border=4)[0])
    scale = max(1, min(module_px, width // modules))
    matrix = [[0 if dark else 255 for dark in row] for row in qr.matrix_iter(border=4)]
    small = Image.new("L", (modules, modules), 255)
    small.putdata([v for row in matrix for v in row])
    code = small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    strip = Image.new("L", (width, code.height), 255)
    strip.paste(code, ((width - code.width) // 2, 0))
    return strip


def receipt_lines(receipt: Receipt, issued_at: dt.datetime) -> list[tuple[str, str]]:
    """``(style, text)`` of every text line: style is title, text, amount or small."""
    template = load_receipt_template()
    lines = [("title", str(template["titles"][receipt.kind]))]
    if receipt.place:
        lines.append(("text", receipt.place))
    if receipt.municipality:
        lines.append(("text", receipt.municipality))
    lines.append(("amount", f"{receipt.amount:,} pt"))
    lines.append(("small", f"番号 / No. {receipt.number}"))
    if receipt.valid_until:
        lines.append(("text", f"有効期限 / valid until {receipt.valid_until}"))
    lines.append(("small", issued_at.strftime("%Y-%m-%d %H:%M")))
    return lines


def render_receipt(
    receipt: Receipt, size: LabelSize, *, issued_at: dt.datetime | None = None
) -> Image.Image:
    """The receipt (or voucher) as a 1-bit image at the stock's resolution."""
    template = load_receipt_template()
    margin, gap, width = int(template["margin_px"]), int(template["gap_px"]), size.width_px
    issued = issued_at or dt.datetime.now().astimezone()
    blocks: list[Image.Image] = []
    for style, text in receipt_lines(receipt, issued):
        px = int(template[f"{style}_px"])
        blocks.append(_text_strip(text, px, style in ("title", "amount"), width, margin))
        if style == "amount" and receipt.qr:
            blocks.append(_qr_strip(receipt.qr, width, int(template["qr_module_px"])))
    blocks.append(
        _text_strip(str(template["footer"]), int(template["small_px"]), False, width, margin)
    )
    height = 2 * margin + sum(b.height for b in blocks) + gap * (len(blocks) - 1)
    canvas = Image.new("L", (width, height), 255)
    y = margin
    for block in blocks:
        canvas.paste(block, (0, y))
        y += block.height + gap
    image = canvas.point(lambda v: 255 if v >= 128 else 0, mode="1")
    image.info["dpi"] = (size.dpi, size.dpi)
    return image
