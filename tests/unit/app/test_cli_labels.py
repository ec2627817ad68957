"""``mykey-counter label`` and ``print-test-label`` with a recording printer."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from click.testing import CliRunner, Result
from PIL import Image

from app.cli import cli
from app.cli.print_test_label import PRINTER_STATUS
from app.ports import EXIT_STATUS, ErrorKind
from app.recording import RecordingPrinter
from app.settings import LabelSettings, Settings, load_settings, save_settings
from drivers.printers import PrinterUnavailable
from tests.unit.app.test_cli import Fakes, enrolled_home


def run(home: Path, *args: str, printer: RecordingPrinter | None = None) -> Result:
    backends = Fakes().backends()
    if printer is not None:
        backends.make_printer = lambda settings: printer
    return CliRunner().invoke(cli, ["--home", str(home), *args], obj=backends)


def test_label_png_of_the_enrolled_service_decodes(tmp_path: Path) -> None:
    out = tmp_path / "label.png"
    result = run(enrolled_home(tmp_path), "label", "--service-id", "0012345678",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.width == 696  # 62 mm at 300 dpi
        (decoded,) = zxingcpp.read_barcodes(image.convert("L"))
    assert decoded.format == zxingcpp.BarcodeFormat.Codabar
    assert "0012345678" in decoded.text


def test_label_pdf_and_options_without_enrollment(tmp_path: Path) -> None:
    out = tmp_path / "label.pdf"
    result = run(tmp_path, "label", "--service-id", "LIB-0042", "--service", "テスト図書館",
                 "--symbology", "code128", "--size", "80mm", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_label_refuses_bad_ids_and_extensions(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    bad = run(home, "label", "--service-id", "12", "--out", str(tmp_path / "x.png"))
    assert bad.exit_code == 1 and "pattern" in bad.stderr
    ext = run(home, "label", "--service-id", "0012345678", "--out", str(tmp_path / "x.jpg"))
    assert ext.exit_code == 1 and ".pdf" in ext.stderr


def test_print_test_label_on_the_recording_printer(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    settings = load_settings(home)
    settings.label = LabelSettings(printer="recording")
    save_settings(home, settings)
    printer = RecordingPrinter()
    result = run(home, "print-test-label", printer=printer)
    assert result.exit_code == 0, result.output
    assert "0000000000" in result.output
    (job,) = printer.jobs
    (decoded,) = zxingcpp.read_barcodes(job.image.convert("L"))
    assert "0000000000" in decoded.text


def test_print_test_label_without_a_printer(tmp_path: Path) -> None:
    result = run(enrolled_home(tmp_path), "print-test-label")
    assert result.exit_code == 1
    assert "[label]" in result.stderr


def test_print_test_label_with_an_unavailable_printer(tmp_path: Path) -> None:
    home = tmp_path
    save_settings(home, Settings(label=LabelSettings(printer="recording")))
    printer = RecordingPrinter(error=PrinterUnavailable("no print queue named 'QL'"))
    result = run(home, "print-test-label", printer=printer)
    assert result.exit_code == PRINTER_STATUS
    assert "no print queue named 'QL'" in result.stderr


def test_label_limit_exit_status() -> None:
    assert EXIT_STATUS[ErrorKind.LABEL_LIMIT_REACHED] == 34
    assert len(set(EXIT_STATUS.values())) == len(EXIT_STATUS)
