"""A label through a real CUPS queue (CUPS-PDF): the PDF, rasterised, decodes to the number."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.labels import LABEL_29X90, LABEL_62MM, LabelContent, LabelSize, render_label
from drivers.printers.base import PrinterUnavailable
from drivers.printers.cups import SpoolerPrinter, available_queues
from server.api.schemas import BarcodeSpec, Symbology
from tests.fixtures.cups import CupsPdfQueue

pytestmark = pytest.mark.integration

MM_PER_PT = 25.4 / 72


def _rasterise(pdf: Path, out: Path, dpi: int) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm: apt-get install poppler-utils")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), str(out)],
        check=True,
        timeout=60,
    )
    with Image.open(out.with_suffix(".png")) as image:
        return image.copy()


def _page_size_mm(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert match, info
    return float(match[1]) * MM_PER_PT, float(match[2]) * MM_PER_PT


@pytest.mark.parametrize("size", [LABEL_62MM, LABEL_29X90], ids=lambda s: s.key)
def test_label_printed_through_cups_decodes_to_the_number(
    cups_pdf_queue: CupsPdfQueue, qapp: object, tmp_path: Path, size: LabelSize
) -> None:
    content = LabelContent(
        service_name="市立図書館 利用カード",
        provider="みどり市",
        service_id="20250401",
        barcode=BarcodeSpec(symbology=Symbology.CODE128, pattern=r"\d{8}"),
        issued_at=datetime(2025, 4, 1, 10, 15),
        terminal_name="本館 1番窓口",
    )
    label = render_label(content, size)
    assert cups_pdf_queue.name in available_queues()
    before = cups_pdf_queue.pdfs()

    SpoolerPrinter(cups_pdf_queue.name).print_image(label, job_name=f"label-{size.key}")

    pdf = cups_pdf_queue.wait_for_pdf(before)
    width_mm, height_mm = _page_size_mm(pdf)
    assert width_mm == pytest.approx(label.width / size.dpi * 25.4, abs=1.0)
    assert height_mm == pytest.approx(label.height / size.dpi * 25.4, abs=1.0)
    page = _rasterise(pdf, tmp_path / "page", dpi=600)
    assert [r.text for r in zxingcpp.read_barcodes(page)] == ["20250401"]


def test_unknown_queue_is_unavailable(cups_pdf_queue: CupsPdfQueue, qapp: object) -> None:
    label = Image.new("1", (100, 100), 1)
    with pytest.raises(PrinterUnavailable, match="no-such-queue"):
        SpoolerPrinter("no-such-queue").print_image(label, job_name="x")
