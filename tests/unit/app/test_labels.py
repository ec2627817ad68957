"""Same-day labels: every size renders, decodes to the number, and Japanese text is drawn."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.barcodes import barcode_text
from app.labels import (
    LABEL_29X90,
    LABEL_SIZES,
    FontNotFound,
    LabelContent,
    LabelSize,
    _font,
    find_cjk_font,
    load_template,
    render_label,
    render_label_pdf,
)
from server.api.schemas import BarcodeSpec, CheckDigit, Symbology

SIZES = list(LABEL_SIZES.values())
SPECS = [
    BarcodeSpec(symbology=Symbology.NW7, nw7_start="A", nw7_stop="B", check_digit=CheckDigit.MOD10),
    BarcodeSpec(symbology=Symbology.CODE39),
    BarcodeSpec(symbology=Symbology.CODE128),
    BarcodeSpec(symbology=Symbology.QR),
]


def _content(spec: BarcodeSpec, service_id: str = "1234567890") -> LabelContent:
    return LabelContent(
        service_name="市立図書館 利用カード",
        provider="みどり市立図書館",
        service_id=service_id,
        barcode=spec,
        issued_at=datetime(2025, 4, 1, 9, 30),
        terminal_name="中央館 カウンター1",
    )


def _decoded(image: Image.Image, spec: BarcodeSpec) -> list[str]:
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    if spec.symbology is Symbology.NW7:  # zxing reports start/stop too
        texts = [t[1:-1] for t in texts]
    return texts


@pytest.mark.parametrize("size", SIZES, ids=lambda s: s.key)
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.symbology.value)
def test_each_size_decodes_to_the_number(size: LabelSize, spec: BarcodeSpec) -> None:
    content = _content(spec)
    label = render_label(content, size)
    assert label.mode == "1"
    assert label.width == size.width_px
    if size.height_px is not None:
        assert label.height == size.height_px
    assert label.info["dpi"] == (size.dpi, size.dpi)
    assert _decoded(label, spec) == [barcode_text(content.service_id, spec)]


def test_long_ids_still_fit_and_decode() -> None:
    spec = BarcodeSpec(symbology=Symbology.CODE128, pattern=r"\d{1,32}")
    label = render_label(_content(spec, "1234567890123456"), LABEL_SIZES["58mm"])
    assert _decoded(label, spec) == ["1234567890123456"]


def test_an_id_the_symbology_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        render_label(_content(BarcodeSpec(symbology=Symbology.NW7), "ABC"), LABEL_29X90)


def test_the_japanese_font_is_noto_sans_cjk() -> None:
    for bold in (False, True):
        face = find_cjk_font(bold)
        assert face.path.name.startswith("NotoSansCJK")
        assert face.path.exists()
    font = _font(40, False)
    assert font.getname()[0] == "Noto Sans CJK JP"


def test_japanese_glyphs_are_real_glyphs_not_tofu() -> None:
    font = _font(40, False)
    notdef = bytes(font.getmask("\U000f0000"))  # a private-use code point: the font's tofu
    masks = [bytes(font.getmask(ch)) for ch in "本日限り有効"]
    assert all(any(m) for m in masks)  # ink
    assert len(set(masks)) == 6  # six different shapes
    assert notdef not in masks


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    find_cjk_font.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    try:
        with pytest.raises(FontNotFound, match="fonts-noto-cjk"):
            find_cjk_font()
    finally:
        find_cjk_font.cache_clear()


def test_templates_name_only_known_line_kinds() -> None:
    for size in SIZES:
        template = load_template(size)
        kinds = [line["kind"] for line in template["line"]]
        assert kinds.count("barcode") == 1
        texts = " ".join(line.get("text", "") for line in template["line"])
        for field in ("{service", "{provider", "{number}", "{issued", "{terminal}", "本日限り有効"):
            assert field in texts, (size.key, field)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: s.key)
def test_pdf_has_the_physical_size_and_decodes(size: LabelSize, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm (poppler-utils)")
    spec = SPECS[0]
    pdf = tmp_path / "label.pdf"
    render_label_pdf(_content(spec), size, pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    label = render_label(_content(spec), size)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(size.dpi),
            "-gray",
            "-png",
            "-singlefile",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as page:
        assert abs(page.width - label.width) <= 1 and abs(page.height - label.height) <= 1
        assert _decoded(page, spec) == [barcode_text("1234567890", spec)]
