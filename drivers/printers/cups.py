"""The system spooler through Qt's QPrinter: any installed driver (CUPS, or Windows GDI).

The label is painted 1:1 onto a page of the label's physical size (pixels / dpi from the
image's ``info['dpi']``, else ``default_dpi``), without smoothing, so bars keep whole
device pixels when the driver's resolution matches.  QPrinter needs a ``QGuiApplication``
(the kiosk's ``QApplication`` counts); when there is none, one is created offscreen-capable
and kept for the life of the process.
"""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, QThread
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from drivers.printers.base import PrinterUnavailable, PrintFailed, check_copies

_MM_PER_INCH = 25.4
_app: QGuiApplication | None = None


def _ensure_gui_app() -> None:
    global _app  # the one QGuiApplication of a non-Qt caller
    if QGuiApplication.instance() is None:
        _app = QGuiApplication([])


def available_queues() -> list[str]:
    """The spooler's queue names (CUPS: as ``lpstat -e``); on the GUI thread only."""
    _ensure_gui_app()
    _check_gui_thread()
    return list(QPrinterInfo.availablePrinterNames())


def to_qimage(image: Image.Image) -> QImage:
    """A grayscale QImage copy of a PIL image."""
    gray = image.convert("L")
    data = gray.tobytes()
    qimage = QImage(data, gray.width, gray.height, gray.width, QImage.Format.Format_Grayscale8)
    return qimage.copy()  # detach from ``data``


def _check_gui_thread() -> None:
    """QPrinter, QPrinterInfo and QPainter belong to the GUI thread (the application's)."""
    app = QCoreApplication.instance()
    if app is not None and QThread.currentThread() != app.thread():
        raise RuntimeError("the system spooler's printer is used only on the GUI thread")


class SpoolerPrinter:
    """A queue of the system spooler, by name (``None``: the default printer).

    Qt's print objects must stay on the GUI thread: callers render elsewhere and print
    here on the GUI thread (``needs_gui_thread``); any other thread gets a RuntimeError.
    """

    needs_gui_thread = True

    def __init__(self, queue: str | None, *, default_dpi: int = 300) -> None:
        self.queue = queue
        self.default_dpi = default_dpi

    def _printer(self, image: Image.Image, copies: int, job_name: str) -> QPrinter:
        _ensure_gui_app()
        _check_gui_thread()
        if self.queue is None:
            info = QPrinterInfo.defaultPrinter()
            if info.isNull():
                raise PrinterUnavailable("the system has no default printer")
        else:
            info = QPrinterInfo.printerInfo(self.queue)
            if info.isNull():
                raise PrinterUnavailable(f"no print queue named {self.queue!r}")
        printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
        dpi_x, dpi_y = image.info.get("dpi", (self.default_dpi, self.default_dpi))
        size_mm = QSizeF(
            image.width / float(dpi_x) * _MM_PER_INCH, image.height / float(dpi_y) * _MM_PER_INCH
        )
        page_size = QPageSize(
            size_mm, QPageSize.Unit.Millimeter, "label", QPageSize.SizeMatchPolicy.ExactMatch
        )
        layout = QPageLayout(
            page_size,
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Millimeter,
            QMarginsF(0, 0, 0, 0),
        )
        if not printer.setPageLayout(layout):
            printer.setPageSize(page_size)
        printer.setFullPage(True)
        printer.setCopyCount(copies)
        printer.setDocName(job_name)
        if not printer.isValid():
            raise PrinterUnavailable(f"the print queue {info.printerName()!r} is not usable")
        return printer

    def print_image(self, image: Image.Image, *, copies: int = 1, job_name: str) -> None:
        check_copies(copies)
        printer = self._printer(image, copies, job_name)
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintFailed(f"cannot start a job on {printer.printerName()!r}")
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        target = QRectF(printer.pageRect(QPrinter.Unit.DevicePixel))
        painter.drawImage(target, to_qimage(image))
        if not painter.end():
            raise PrintFailed(f"the job on {printer.printerName()!r} was not spooled")
