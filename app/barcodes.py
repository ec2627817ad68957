"""Service IDs as barcodes: NW-7 (Codabar) with its check characters, Code 39, Code 128, QR.

The screen and ``mykey-counter barcode`` both call :func:`render_barcode`, so the desk
scanner reads on screen exactly what the CLI writes to a file.

Sources for the rules used here:

- NW-7 / Codabar symbol: JIS X 0506 (data characters ``0-9 - $ : / . +``, start/stop
  ``A B C D``, narrow:wide 1:2.0–1:3.0, quiet zone at least 10 narrow modules; see e.g.
  https://aimjal.co.jp/gijutu/barcode/nw-7/nw-7.html).  The symbol standard defines no
  check character: the schemes below are the ones Japanese libraries and label software
  offer (e.g. JustSystems' list: モジュラス10/3ウェイト, モジュラス16, モジュラス11,
  7チェックDR …, https://support.justsystems.com/faq/1032/app/servlet/qadoc?QID=034979).
- Code 39: ISO/IEC 16388 (JIS X 0503); no check character is added.
- Code 128: ISO/IEC 15417 (JIS X 0504); its mandatory mod-103 check is the encoder's.
- QR: ISO/IEC 18004 (JIS X 0510), error correction M, quiet zone of 4 modules.
"""

from __future__ import annotations

import io
import re
import string

from barcode.codabar import CODABAR
from barcode.codex import Code39, Code128
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw

from server.api.schemas import BarcodeSpec, CheckDigit, Symbology

#: NW-7 data characters in the order of their mod-16 values 0..15; A-D are 16..19
NW7_DATA_CHARS = "0123456789-$:/.+"
NW7_START_STOP = "ABCD"
NW7_VALUES: dict[str, int] = {c: i for i, c in enumerate(NW7_DATA_CHARS + NW7_START_STOP)}
CODE39_CHARS = frozenset(string.digits + string.ascii_uppercase + "-. $/+%")
CODE128_CHARS = frozenset(chr(c) for c in range(32, 127))
_NUMERIC_SCHEMES = frozenset(
    {CheckDigit.MOD10, CheckDigit.MOD11, CheckDigit.SEVEN_DR, CheckDigit.SEVEN_DSR}
)
QUIET_ZONE_MODULES = 10  # 1D codes: at least 10 narrow modules each side
QR_BORDER_MODULES = 4


# --- check characters -----------------------------------------------------------------------


def check_mod10_w31(digits: str) -> str:
    """Modulus 10, weights 3,1,3,1… from the rightmost digit (モジュラス10/ウェイト3).

    Sum of digit × weight; check = (10 − sum mod 10) mod 10.  Same rule as the JAN/EAN
    check digit (http://www.barcode-net.com/chisiki/modulus10_3.html).
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def check_mod11_w27(digits: str) -> str:
    """Modulus 11, weights 2,3,4,5,6,7,2,3… from the rightmost digit (モジュラス11/ウェイト2-7).

    check = 11 − (sum mod 11); the results 10 and 11 (remainders 1 and 0) become 0, as in
    Hitachi's reference "剰余が0,1の場合,チェックディジットは0"
    (https://itpfdoc.hitachi.co.jp/manuals/3020/30203B8610/B860207.HTM: 12345 → 5).
    """
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    check = 11 - total % 11
    return "0" if check >= 10 else str(check)


def check_mod16(start: str, data: str, stop: str) -> str:
    """Modulus 16 over every character including start and stop (NW-7 only).

    Values: 0-9 → 0-9, ``-``→10, ``$``→11, ``:``→12, ``/``→13, ``.``→14, ``+``→15,
    A-D → 16-19.  check value = (16 − sum mod 16) mod 16, turned back into a character.
    Source: http://www.barcode-net.com/chisiki/modulus16.html (A37859B → ``+``); the outer
    ``mod 16`` (remainder 0 → ``0``, never ``A``) as noted at
    https://www.gwtcenter.com/calculation-of-modulus16 after IBM's description.
    """
    total = sum(NW7_VALUES[c] for c in start + data + stop)
    return NW7_DATA_CHARS[(16 - total % 16) % 16]


def check_7dr(digits: str) -> str:
    """セブンチェック DR: the number modulo 7 (0-6); e.g. 123456 → 4 (mimosa.gr.jp)."""
    return str(int(digits) % 7)


def check_7dsr(digits: str) -> str:
    """セブンチェック DSR: 7 − (the number modulo 7), so 1-7 (7 when divisible by 7)."""
    return str(7 - int(digits) % 7)


def check_character(service_id: str, spec: BarcodeSpec) -> str:
    """The NW-7 check character of ``service_id`` under ``spec.check_digit`` ('' for none)."""
    match spec.check_digit:
        case CheckDigit.NONE:
            return ""
        case CheckDigit.MOD10:
            return check_mod10_w31(service_id)
        case CheckDigit.MOD11:
            return check_mod11_w27(service_id)
        case CheckDigit.MOD16:
            return check_mod16(spec.nw7_start, service_id, spec.nw7_stop)
        case CheckDigit.SEVEN_DR:
            return check_7dr(service_id)
        case CheckDigit.SEVEN_DSR:
            return check_7dsr(service_id)
    raise ValueError(f"unknown check-digit scheme {spec.check_digit!r}")


# --- validation and encoding ----------------------------------------------------------------


def _charset(symbology: Symbology) -> frozenset[str] | None:
    if symbology is Symbology.NW7:
        return frozenset(NW7_DATA_CHARS)
    if symbology is Symbology.CODE39:
        return CODE39_CHARS
    if symbology is Symbology.CODE128:
        return CODE128_CHARS
    return None  # QR: any text


def validate_service_id(service_id: str, spec: BarcodeSpec) -> None:
    """Raise ``ValueError`` unless the ID fits the service's pattern and the symbology."""
    if not service_id:
        raise ValueError("the service ID is empty")
    try:
        matches = re.fullmatch(spec.pattern, service_id) is not None
    except re.error as e:
        raise ValueError(f"the service's ID pattern {spec.pattern!r} is invalid: {e}") from None
    if not matches:
        raise ValueError(
            f"service ID {service_id!r} does not match the service's pattern {spec.pattern!r}"
        )
    if not service_id.isprintable():
        raise ValueError(f"service ID {service_id!r} holds control characters")
    allowed = _charset(spec.symbology)
    if allowed is not None:
        bad = sorted(set(service_id) - allowed)
        if bad:
            raise ValueError(
                f"{''.join(bad)!r} cannot be encoded in {spec.symbology.value} "
                f"(service ID {service_id!r})"
            )
    if (
        spec.symbology is Symbology.NW7
        and spec.check_digit in _NUMERIC_SCHEMES
        and not (service_id.isascii() and service_id.isdigit())
    ):
        raise ValueError(
            f"check digit {spec.check_digit.value} needs an all-digit ID, got {service_id!r}"
        )


def encode_nw7(service_id: str, spec: BarcodeSpec) -> str:
    """The full NW-7 symbol text: start + data + check character + stop (e.g. ``A1234A``)."""
    if spec.symbology is not Symbology.NW7:
        raise ValueError(f"encode_nw7 needs an nw7 spec, not {spec.symbology.value}")
    validate_service_id(service_id, spec)
    return spec.nw7_start + service_id + check_character(service_id, spec) + spec.nw7_stop


def barcode_text(service_id: str, spec: BarcodeSpec) -> str:
    """What the symbol carries as data (NW-7: with its check character, without start/stop).

    A desk scanner set to "transmit start/stop: off" sends exactly this.
    """
    if spec.symbology is Symbology.NW7:
        return encode_nw7(service_id, spec)[1:-1]
    validate_service_id(service_id, spec)
    return service_id


# --- rendering ------------------------------------------------------------------------------


class _PixelWriter(ImageWriter):
    """python-barcode's ImageWriter on an exact pixel grid: one "mm" is one pixel.

    The stock writer converts millimetres to pixels in floating point and truncates, which
    shaves a pixel off some bars; a scanner (and zbar) tolerates that, a pixel-exact test
    does not.  Here every module edge is rounded to a whole pixel.
    """

    def __init__(self) -> None:
        super().__init__(format="PNG", mode="RGB", dpi=25.4)

    def _init(self, code: list[str]) -> None:
        width, height = self.calculate_size(len(code[0]), 1)
        self._image = Image.new(self.mode, (round(width), round(height)), self.background)
        self._draw = ImageDraw.Draw(self._image)

    def _paint_module(self, xpos: float, ypos: float, width: float, color: str) -> None:
        x0, x1 = round(xpos), round(xpos + width)
        y0, y1 = round(ypos), round(ypos + self.module_height)
        if x1 > x0 and y1 > y0:
            self._draw.rectangle([(x0, y0), (x1 - 1, y1 - 1)], outline=color, fill=color)


def _writer_options(module_px: int, height_px: int, human_readable: bool) -> dict[str, object]:
    text_px = max(12, 5 * module_px) if human_readable else 0
    # calculate_size adds font_size/2 (in "mm") plus text_distance under the bars; the
    # text is drawn with its baseline text_distance below the bars.
    text_block = round(text_px / 2 + text_px + module_px) if human_readable else 0
    return {
        "module_width": module_px,
        "module_height": max(1, height_px - text_block),
        "quiet_zone": QUIET_ZONE_MODULES * module_px,
        "margin_top": 0,
        "margin_bottom": 0,
        "font_size": text_px / 0.352777778,  # points → "mm" (= px) in calculate_size
        "text_distance": text_px + module_px,
        "write_text": human_readable,
        "background": "white",
        "foreground": "black",
    }


def _render_1d(
    service_id: str, spec: BarcodeSpec, module_px: int, height_px: int, human_readable: bool
) -> Image.Image:
    writer = _PixelWriter()
    code: CODABAR | Code39 | Code128
    if spec.symbology is Symbology.NW7:
        code = CODABAR(encode_nw7(service_id, spec), writer=writer, narrow=1, wide=3)
    elif spec.symbology is Symbology.CODE39:
        validate_service_id(service_id, spec)
        code = Code39(service_id, writer=writer, add_checksum=False)
    else:
        validate_service_id(service_id, spec)
        code = Code128(service_id, writer=writer)
    options = _writer_options(module_px, height_px, human_readable)
    text = barcode_text(service_id, spec) if human_readable else None
    image = code.render(options, text=text)
    assert isinstance(image, Image.Image)
    return image


def _render_qr(service_id: str, spec: BarcodeSpec, module_px: int, height_px: int) -> Image.Image:
    import segno  # only QR services need it

    validate_service_id(service_id, spec)
    qr = segno.make(service_id, error="m", micro=False, boost_error=False)
    modules = qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0]
    scale = max(module_px, height_px // modules)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=QR_BORDER_MODULES)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return image.convert("RGB")


def render_barcode(
    service_id: str,
    spec: BarcodeSpec,
    *,
    module_px: int = 3,
    height_px: int = 160,
    human_readable: bool = False,
) -> Image.Image:
    """The service ID as an RGB image with quiet zones; ``ValueError`` if it cannot be encoded.

    ``module_px`` is the narrow bar (1D) or the module (QR) in pixels; ``height_px`` the
    bar height (QR: the symbol is scaled up to about that size).  ``human_readable``
    prints the data under 1D codes.
    """
    if module_px < 1 or height_px < 1:
        raise ValueError("module_px and height_px must be positive")
    if spec.symbology is Symbology.QR:
        return _render_qr(service_id, spec, module_px, height_px)
    return _render_1d(service_id, spec, module_px, height_px, human_readable)
