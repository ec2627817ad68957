"""Brother QL raster via ``brother_ql`` (PyPI: brother-ql-next, the maintained fork).

Targets: a file path (``file:PATH`` or a plain path) gets the raster bytes; the others go
through ``brother_ql.backends.helpers.send``: ``tcp://HOST:9100`` (network),
``usb://0x04f9:0x209b`` (pyusb), ``/dev/usb/lp0`` (Linux printer class device).
"""

from __future__ import annotations

from pathlib import Path

from brother_ql.backends import guess_backend
from brother_ql.backends.helpers import send
from brother_ql.conversion import convert
from brother_ql.exceptions import BrotherQLError
from brother_ql.raster import BrotherQLRaster
from PIL import Image

from drivers.printers.base import PrinterUnavailable, PrintFailed, check_copies


class BrotherQLPrinter:
    """A Brother QL printer (e.g. ``QL-820NWB``) with one label stock (``62``, ``29x90``)."""

    def __init__(self, target: str | Path, *, model: str = "QL-820NWB", label: str = "62") -> None:
        self.target = target
        self.model = model
        self.label = label

    def raster(self, image: Image.Image, *, copies: int = 1) -> bytes:
        """The instruction stream for ``copies`` labels, cut after each."""
        check_copies(copies)
        qlr = BrotherQLRaster(self.model)
        qlr.exception_on_warning = True
        try:
            convert(
                qlr,
                [image.convert("L")] * copies,
                self.label,
                cut=True,
                rotate="auto",
                threshold=50,
                dither=False,
                compress=True,
            )
        except (BrotherQLError, ValueError, KeyError) as e:
            raise PrintFailed(f"the image does not suit {self.model} / {self.label}: {e}") from e
        return bytes(qlr.data)

    def print_image(self, image: Image.Image, *, copies: int = 1, job_name: str) -> None:
        data = self.raster(image, copies=copies)
        target = str(self.target)
        if isinstance(self.target, Path) or target.startswith("file:"):
            path = Path(target.removeprefix("file:"))
            try:
                path.write_bytes(data)
            except OSError as e:
                raise PrinterUnavailable(f"cannot write {path}: {e}") from e
            return
        try:
            backend = guess_backend(target)
        except ValueError as e:
            raise PrinterUnavailable(f"unknown Brother QL target {target!r}") from e
        try:
            status = send(data, printer_identifier=target, backend_identifier=backend)
        except Exception as e:  # usb.core, socket and OS errors alike
            raise PrinterUnavailable(f"{target}: {e}") from e
        if status.get("outcome") == "error":
            raise PrintFailed(f"{target} ({job_name}): {status.get('printer_state')}")
