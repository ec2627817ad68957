"""Label printers behind one interface: the system spooler, Brother QL raster, ESC/POS.

Each backend takes a finished label image (``app.labels`` draws it) and only transports
it; the backend modules import their third-party libraries, so import the one you use.
"""

from drivers.printers.base import LabelPrinter, PrinterError, PrinterUnavailable, PrintFailed

__all__ = ["LabelPrinter", "PrintFailed", "PrinterError", "PrinterUnavailable"]
