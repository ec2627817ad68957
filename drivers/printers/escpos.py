"""ESC/POS receipt printers via python-escpos; the label (Japanese text too) is one image.

Targets: ``file:PATH`` or a path (the byte stream, e.g. ``/dev/usb/lp0``),
``tcp://HOST[:9100]``, ``usb://VID:PID`` (hex).  Each copy: ESC @, the raster image
(GS v 0), feed and cut.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from escpos.escpos import Escpos
from escpos.printer import File, Network, Usb
from PIL import Image

from drivers.printers.base import PrinterUnavailable, PrintFailed, check_copies


def _connect(target: str | Path, profile: str | None) -> Escpos:
    text = str(target)
    if isinstance(target, Path) or text.startswith("file:") or text.startswith("/"):
        return File(text.removeprefix("file:"), profile=profile)
    if text.startswith("tcp://"):
        url = urlsplit(text)
        return Network(url.hostname or "", port=url.port or 9100, timeout=10, profile=profile)
    if text.startswith("usb://"):
        vendor, _, product = text.removeprefix("usb://").partition(":")
        return Usb(int(vendor, 16), int(product, 16), profile=profile)
    raise PrinterUnavailable(f"unknown ESC/POS target {text!r}")


class EscposPrinter:
    """A receipt printer that takes raster images (58 or 80 mm rolls).

    ``profile`` is a python-escpos printer profile name (e.g. ``TM-T88V``); the default
    profile knows no paper width, so the image is sent as it is.
    """

    def __init__(self, target: str | Path, *, profile: str | None = None) -> None:
        self.target = target
        self.profile = profile

    def print_image(self, image: Image.Image, *, copies: int = 1, job_name: str) -> None:
        check_copies(copies)
        try:
            printer = _connect(self.target, self.profile)
            printer.open()
        except PrinterUnavailable:
            raise
        except Exception as e:  # usb.core, socket and OS errors alike
            raise PrinterUnavailable(f"{self.target}: {e}") from e
        try:
            for _ in range(copies):
                printer.hw("INIT")
                printer.image(image.convert("1"), impl="bitImageRaster", center=False)
                printer.cut()
        except Exception as e:
            raise PrintFailed(f"{self.target} ({job_name}): {e}") from e
        finally:
            printer.close()
