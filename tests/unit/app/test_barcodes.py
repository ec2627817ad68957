"""Check characters by hand, and every symbology decoded by zxing-cpp and by zbar."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from barcode.codabar import CODABAR
from barcode.codex import Code39
from PIL import Image

from app.barcodes import (
    NW7_VALUES,
    barcode_text,
    check_7dr,
    check_7dsr,
    check_character,
    check_mod10_w31,
    check_mod11_w27,
    check_mod16,
    encode_nw7,
    render_barcode,
    validate_service_id,
)
from server.api.schemas import BarcodeSpec, CheckDigit, Symbology


def nw7(check: str = "none", start: str = "A", stop: str = "A",
        pattern: str = r"[0-9A-Z\-]{1,32}") -> BarcodeSpec:
    return BarcodeSpec(symbology=Symbology.NW7, nw7_start=start, nw7_stop=stop,
                       check_digit=CheckDigit(check), pattern=pattern)


# --- check characters, computed by hand ---------------------------------------------------


def test_mod16_values_follow_the_table() -> None:
    assert [NW7_VALUES[c] for c in "0123456789"] == list(range(10))
    assert [NW7_VALUES[c] for c in "-$:/.+ABCD"] == list(range(10, 20))


@pytest.mark.parametrize(
    ("start", "data", "stop", "check"),
    [
        # A(16) + 1+2+…+9+0 (45) + A(16) = 77; 77 mod 16 = 13; 16 - 13 = 3 → "3"
        ("A", "1234567890", "A", "3"),
        # barcode-net.com's example: 16+3+7+8+5+9+17 = 65; 65 mod 16 = 1; 16-1 = 15 → "+"
        ("A", "37859", "B", "+"),
        # 16+1+2+16 = 35; 35 mod 16 = 3; 16-3 = 13 → "/"
        ("A", "12", "A", "/"),
        # 16+0+16 = 32; 32 mod 16 = 0 → "0" (never "A": (16-0) mod 16)
        ("A", "0", "A", "0"),
        # B(17)+1+-(10)+2+C(18) = 48 → 0 → "0"
        ("B", "1-2", "C", "0"),
        # D(19)+$(11)+:(12) +D(19) = 61; 61 mod 16 = 13; 3 → "3"
        ("D", "$:", "D", "3"),
    ],
)
def test_mod16(start: str, data: str, stop: str, check: str) -> None:
    assert check_mod16(start, data, stop) == check


@pytest.mark.parametrize(
    ("digits", "check"),
    [
        # EAN: 4912345678904 (barcode-net.com): odd positions from the right × 3
        ("491234567890", "4"),
        # 5×3 + 4×1 + 3×3 + 2×1 + 1×3 = 33 → 10 - 3 = 7
        ("12345", "7"),
        # JAN-8 49722536 (wdic.org): (3+2+7+4)×3 + (5+2+9) = 64 → 10 - 4 = 6
        ("4972253", "6"),
        ("0", "0"),
        # 2×3 = 6 → 4;  19 → 9×3+1 = 28 → 2
        ("2", "4"),
        ("19", "2"),
    ],
)
def test_mod10_weights_3_1(digits: str, check: str) -> None:
    assert check_mod10_w31(digits) == check


@pytest.mark.parametrize(
    ("digits", "check"),
    [
        # Hitachi's example: 5×2 + 4×3 + 3×4 + 2×5 + 1×6 = 50; 50 mod 11 = 6; 11-6 = 5
        ("12345", "5"),
        # 5×2 = 10; 10 mod 11 = 10; 11 - 10 = 1
        ("5", "1"),
        # 6×2 = 12; 12 mod 11 = 1; 11 - 1 = 10 → "0"
        ("6", "0"),
        # 0 → remainder 0; 11 - 0 = 11 → "0"
        ("0", "0"),
        # the weights cycle 2..7: the 6th digit from the right weighs 7, the 7th 2 again
        ("100000", "4"),   # 7 → 11 - 7 = 4
        ("1000000", "9"),  # 2 → 11 - 2 = 9
    ],
)
def test_mod11_weights_2_to_7(digits: str, check: str) -> None:
    assert check_mod11_w27(digits) == check


@pytest.mark.parametrize(
    ("digits", "dr", "dsr"),
    [
        ("123456", "4", "3"),        # 123456 = 7 × 17636 + 4 (mimosa.gr.jp)
        ("12345678901", "3", "4"),   # Yamato's example (nanoappli.com)
        ("99991234567", "0", "7"),   # divisible by 7: DR 0, DSR 7 (okusu.net for DR)
        ("0000007", "0", "7"),
    ],
)
def test_seven_checks(digits: str, dr: str, dsr: str) -> None:
    assert check_7dr(digits) == dr
    assert check_7dsr(digits) == dsr


def test_check_character_dispatch() -> None:
    assert check_character("12345", nw7("none")) == ""
    assert check_character("12345", nw7("mod10")) == "7"
    assert check_character("12345", nw7("mod11")) == "5"
    assert check_character("1234567890", nw7("mod16")) == "3"
    assert check_character("123456", nw7("7dr")) == "4"
    assert check_character("123456", nw7("7dsr")) == "3"


def test_encode_nw7() -> None:
    assert encode_nw7("1234567890", nw7("mod16")) == "A12345678903A"
    assert encode_nw7("37859", nw7("mod16", "A", "B")) == "A37859+B"
    assert encode_nw7("123456", nw7("7dr", "C", "D")) == "C1234564D"
    assert encode_nw7("1234", nw7()) == "A1234A"
    assert barcode_text("37859", nw7("mod16", "A", "B")) == "37859+"


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "spec", "message"),
    [
        ("", nw7(), "empty"),
        ("12AB", nw7(pattern="[0-9]+"), "pattern"),
        ("12A4", nw7(), "cannot be encoded in nw7"),
        ("12-34", nw7("mod10"), "all-digit"),
        ("1234", nw7(pattern="[0-9"), "pattern"),
        ("abc", BarcodeSpec(symbology=Symbology.CODE39, pattern="[a-z]+"), "code39"),
        ("A*B", BarcodeSpec(symbology=Symbology.CODE39, pattern=".+"), "code39"),
        ("ＡＢ", BarcodeSpec(symbology=Symbology.CODE128, pattern=".+"), "code128"),
        ("A\tB", BarcodeSpec(symbology=Symbology.QR, pattern=".+"), "control"),
        ("1234567890123456789012345678901234", nw7(), "pattern"),
    ],
)
def test_validate_refuses(value: str, spec: BarcodeSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_service_id(value, spec)
    with pytest.raises(ValueError):
        render_barcode(value, spec)


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("0012345678", nw7("mod11", pattern="[0-9]{10}")),
        ("12-34", nw7("mod16")),
        ("AB-12 $", BarcodeSpec(symbology=Symbology.CODE39, pattern="[A-Z0-9 $-]+")),
        ("ab-12", BarcodeSpec(symbology=Symbology.CODE128, pattern="[a-z0-9-]+")),
        ("LIB-000123", BarcodeSpec(symbology=Symbology.QR)),
    ],
)
def test_validate_accepts(value: str, spec: BarcodeSpec) -> None:
    validate_service_id(value, spec)


def test_encode_nw7_needs_an_nw7_spec() -> None:
    with pytest.raises(ValueError):
        encode_nw7("1", BarcodeSpec(symbology=Symbology.QR))


def test_render_refuses_silly_sizes() -> None:
    with pytest.raises(ValueError):
        render_barcode("1", nw7(), module_px=0)


# --- decoding: what the desk's scanner sees ------------------------------------------------

ZXING_FORMATS = {
    Symbology.NW7: zxingcpp.BarcodeFormat.Codabar,
    Symbology.CODE39: zxingcpp.BarcodeFormat.Code39,
    Symbology.CODE128: zxingcpp.BarcodeFormat.Code128,
    Symbology.QR: zxingcpp.BarcodeFormat.QRCode,
}
ZBAR_NAMES = {
    Symbology.NW7: "Codabar",
    Symbology.CODE39: "CODE-39",
    Symbology.CODE128: "CODE-128",
    Symbology.QR: "QR-Code",
}
CASES = [
    ("1234567890", nw7()),
    ("1234567890", nw7("mod16")),
    ("0012345678", nw7("mod10", "B", "B")),
    ("0012345678", nw7("mod11", "C", "D")),
    ("123456", nw7("7dr", "D", "A")),
    ("123456", nw7("7dsr")),
    ("12-34$5:6/7.8+9", nw7("mod16", "B", "C", pattern=r"[0-9$:/.+\-]+")),
    ("LIB-0123", BarcodeSpec(symbology=Symbology.CODE39)),
    ("AB 12$/+%", BarcodeSpec(symbology=Symbology.CODE39, pattern=r"[A-Z0-9 $/+%\-]+")),
    ("LIB-0123", BarcodeSpec(symbology=Symbology.CODE128)),
    ("lib-0123_x", BarcodeSpec(symbology=Symbology.CODE128, pattern=r"[a-z0-9_\-]+")),
    ("1234567890", BarcodeSpec(symbology=Symbology.CODE128, pattern="[0-9]+")),
    ("LIB-0123", BarcodeSpec(symbology=Symbology.QR)),
]


def decoded_by_scanner(value: str, spec: BarcodeSpec) -> str:
    """What a decoder reports: NW-7 with start, check and stop characters (both do so)."""
    return encode_nw7(value, spec) if spec.symbology is Symbology.NW7 else value


@pytest.mark.parametrize("human_readable", [False, True])
@pytest.mark.parametrize("module_px", [2, 3])
@pytest.mark.parametrize(("value", "spec"), CASES)
def test_zxing_decodes(value: str, spec: BarcodeSpec, module_px: int, human_readable: bool) -> None:
    image = render_barcode(value, spec, module_px=module_px, human_readable=human_readable)
    assert image.mode == "RGB"
    results = zxingcpp.read_barcodes(image)
    assert [(r.format, r.text) for r in results] == [
        (ZXING_FORMATS[spec.symbology], decoded_by_scanner(value, spec))
    ]


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
@pytest.mark.parametrize(("value", "spec"), CASES)
def test_zbar_decodes(value: str, spec: BarcodeSpec, tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    render_barcode(value, spec).save(path)
    out = subprocess.run(["zbarimg", "-q", str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == [f"{ZBAR_NAMES[spec.symbology]}:{decoded_by_scanner(value, spec)}"]


def test_nw7_start_stop_and_check_in_decoder_output() -> None:
    """Both decoders pass start/stop through; the check character is plain data to them.

    A desk scanner set to "send start/stop: off" therefore sends barcode_text(), i.e. the
    number followed by its check character.
    """
    spec = nw7("mod16", "B", "D")
    (result,) = zxingcpp.read_barcodes(render_barcode("1234567890", spec))
    assert result.text == "B1234567890" + check_mod16("B", "1234567890", "D") + "D"
    assert result.text[1:-1] == barcode_text("1234567890", spec)


def _row(image: Image.Image, y: int) -> str:
    gray = image.convert("L")
    return "".join("1" if gray.getpixel((x, y)) < 128 else "0"  # type: ignore[operator]
                   for x in range(image.width))


@pytest.mark.parametrize("module_px", [1, 2, 3, 5])
def test_nw7_is_pixel_exact_with_quiet_zones(module_px: int) -> None:
    spec = nw7("mod16")
    image = render_barcode("1234567890", spec, module_px=module_px, height_px=80)
    pattern = CODABAR(encode_nw7("1234567890", spec), narrow=1, wide=3).build()[0]
    quiet = "0" * (10 * module_px)
    expected = quiet + "".join(bit * module_px for bit in pattern) + quiet
    assert _row(image, 40) == expected
    assert image.height == 80


def test_code39_is_pixel_exact_without_check_character() -> None:
    spec = BarcodeSpec(symbology=Symbology.CODE39)
    image = render_barcode("LIB-0123", spec, module_px=2, height_px=60)
    pattern = Code39("LIB-0123", add_checksum=False).build()[0]
    quiet = "0" * 20
    assert _row(image, 30) == quiet + "".join(bit * 2 for bit in pattern) + quiet


def test_qr_has_a_four_module_quiet_zone() -> None:
    spec = BarcodeSpec(symbology=Symbology.QR)
    image = render_barcode("LIB-0123", spec, module_px=3, height_px=10)
    assert image.width == image.height == (21 + 8) * 3  # version 1 at module_px 3
    assert set(_row(image, 0)) == {"0"}
    assert set(_row(image, 4 * 3 - 1)) == {"0"}
    assert "1" in _row(image, 4 * 3)


def test_qr_grows_towards_the_requested_height() -> None:
    image = render_barcode("LIB-0123", BarcodeSpec(symbology=Symbology.QR), height_px=160)
    assert 140 <= image.height <= 160
