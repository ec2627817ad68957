"""ESC/POS byte stream written to a file: init, raster image (GS v 0), cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from drivers.printers.base import PrinterUnavailable
from drivers.printers.escpos import EscposPrinter

ESC_INIT = b"\x1b@"
GS_V0 = b"\x1dv0"
FULL_CUT = b"\x1dV\x00"


def _image(width: int = 384, height: int = 200) -> Image.Image:
    image = Image.new("1", (width, height), 1)
    ImageDraw.Draw(image).rectangle((0, 0, 7, height - 1), fill=0)  # first byte column black
    return image


def test_stream_is_init_raster_image_then_cut(tmp_path: Path) -> None:
    out = tmp_path / "receipt.bin"
    EscposPrinter(out).print_image(_image(), job_name="t")
    data = out.read_bytes()
    assert data.startswith(ESC_INIT)
    assert data.endswith(FULL_CUT)
    start = data.index(GS_V0)
    mode, x_lo, x_hi, y_lo, y_hi = data[start + 3 : start + 8]
    assert mode == 0  # normal density
    assert x_lo + 256 * x_hi == 384 // 8  # bytes per row
    assert y_lo + 256 * y_hi == 200  # rows
    raster = data[start + 8 : start + 8 + 48 * 200]
    assert raster[0] == 0xFF and raster[1] == 0x00  # 1 = black dot


def test_copies_repeat_the_whole_label(tmp_path: Path) -> None:
    out = tmp_path / "receipt.bin"
    EscposPrinter(f"file:{out}").print_image(_image(), copies=3, job_name="t")
    data = out.read_bytes()
    assert data.count(ESC_INIT + GS_V0) == 3
    assert data.count(FULL_CUT) == 3


def test_tall_labels_are_sent_in_several_raster_blocks(tmp_path: Path) -> None:
    out = tmp_path / "receipt.bin"
    EscposPrinter(out).print_image(_image(576, 1500), job_name="t")
    data = out.read_bytes()
    assert data.count(GS_V0) == 2  # python-escpos splits at 960 rows
    assert data.endswith(FULL_CUT)


def test_unknown_target_is_unavailable() -> None:
    with pytest.raises(PrinterUnavailable, match="unknown"):
        EscposPrinter("bluetooth:xyz").print_image(_image(), job_name="t")


def test_unreachable_network_printer_is_unavailable() -> None:
    with pytest.raises(PrinterUnavailable):
        EscposPrinter("tcp://127.0.0.1:9").print_image(_image(), job_name="t")


def test_unwritable_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PrinterUnavailable):
        EscposPrinter(tmp_path / "missing-dir" / "x.bin").print_image(_image(), job_name="t")
