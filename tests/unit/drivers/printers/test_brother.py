"""Brother QL raster, parsed back with brother_ql's own reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from brother_ql.reader import OPCODES, BrotherQLReader, chunker, match_opcode
from PIL import Image, ImageDraw

from drivers.printers.base import PrinterUnavailable, PrintFailed
from drivers.printers.brother import BrotherQLPrinter


def _image(width: int, height: int) -> Image.Image:
    image = Image.new("1", (width, height), 1)
    ImageDraw.Draw(image).rectangle((10, 10, width // 2, height // 2), fill=0)
    return image


def _opcodes(data: bytes) -> list[str]:
    """The instruction names, in order, as brother_ql's reader names them."""
    return [str(OPCODES[match_opcode(chunk)][0]) for chunk in chunker(data)]


def _read_back(path: Path, tmp_path: Path) -> tuple[BrotherQLReader, list[Image.Image]]:
    reader = BrotherQLReader(str(path))
    reader.filename_fmt = str(tmp_path / "page{counter:04d}.png")
    reader.analyse()
    pages = []
    for page in sorted(tmp_path.glob("page*.png")):
        with Image.open(page) as image:
            pages.append(image.copy())
    return reader, pages


@pytest.mark.parametrize(
    ("label", "size", "rows", "width_mm", "length_mm"),
    [("62", (696, 400), 400, 62, 0), ("29x90", (991, 306), 991, 29, 90)],
)
def test_file_target_writes_raster_the_reader_parses(
    tmp_path: Path, label: str, size: tuple[int, int], rows: int, width_mm: int, length_mm: int
) -> None:
    out = tmp_path / "label.bin"
    BrotherQLPrinter(out, model="QL-820NWB", label=label).print_image(
        _image(*size), job_name="test"
    )
    data = out.read_bytes()
    names = _opcodes(data)
    assert {"init", "media/quality", "expanded", "compression"} <= set(names)
    assert names.count("print") == 1 and names[-1].startswith("print")
    reader, pages = _read_back(out, tmp_path)
    assert reader.raster_no == rows
    assert reader.mwidth == width_mm
    assert reader.mlength == length_mm * 256  # brother_ql.reader multiplies the mm byte by 256
    assert reader.cut_at_end
    assert [p.size for p in pages] == [(720, rows)]  # 90 bytes per row on the QL-8xx head


def test_the_printed_pixels_come_back(tmp_path: Path) -> None:
    out = tmp_path / "label.bin"
    image = _image(696, 200)
    BrotherQLPrinter(f"file:{out}", label="62").print_image(image, job_name="t")
    _, (page,) = _read_back(out, tmp_path)
    black = page.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert black is not None
    assert black[3] - black[1] == 200 // 2 - 10 + 1  # rows of the rectangle


def test_copies_give_one_page_each(tmp_path: Path) -> None:
    out = tmp_path / "label.bin"
    BrotherQLPrinter(out, label="62").print_image(_image(696, 160), copies=2, job_name="t")
    names = _opcodes(out.read_bytes())
    assert sum(n.startswith("print") for n in names) == 2


def test_wrong_die_cut_size_fails(tmp_path: Path) -> None:
    with pytest.raises(PrintFailed, match="29x90"):
        BrotherQLPrinter(tmp_path / "x", label="29x90").print_image(_image(500, 500), job_name="t")


def test_unknown_target_is_unavailable() -> None:
    with pytest.raises(PrinterUnavailable):
        BrotherQLPrinter("carrier-pigeon").print_image(_image(696, 200), job_name="t")


def test_unreachable_network_printer_is_unavailable() -> None:
    with pytest.raises(PrinterUnavailable, match="tcp://"):
        BrotherQLPrinter("tcp://127.0.0.1:9").print_image(_image(696, 200), job_name="t")


def test_too_short_for_the_printer_fails(tmp_path: Path) -> None:
    with pytest.raises(PrintFailed, match="raster height"):
        BrotherQLPrinter(tmp_path / "x", label="62").print_image(_image(696, 50), job_name="t")
