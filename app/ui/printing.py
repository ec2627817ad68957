"""Printing a rendered image without Qt's print objects ever leaving the GUI thread.

Rendering (Pillow) and the printers that talk to a device or a socket (Brother QL,
ESC/POS, the recording printer) run on a background lane. A printer that declares
``needs_gui_thread`` (the system spooler: QPrinter and QPainter) gets the rendered image
back on the GUI thread and prints there; spooling a one-page label is quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from PIL import Image

    from drivers.printers import LabelPrinter


class BackgroundRunner(Protocol):
    """The part of :class:`app.ui.background.Background` that printing uses."""

    def run_in_background(
        self,
        work: Callable[[], object],
        on_done: Callable[[object], None],
        on_failed: Callable[[BaseException], None],
        *,
        name: str,
    ) -> None: ...


def needs_gui_thread(printer: object) -> bool:
    """Whether ``printer`` uses Qt's print objects (then only on the GUI thread)."""
    return bool(getattr(printer, "needs_gui_thread", False))


def print_rendered(
    background: BackgroundRunner,
    *,
    printer: Callable[[], LabelPrinter],
    render: Callable[[], Image.Image],
    job_name: str,
    on_done: Callable[[], None],
    on_failed: Callable[[BaseException], None],
    lane: str,
) -> None:
    """Build the printer and render off the GUI thread, then print where the printer may.

    ``printer`` and ``render`` are plain callables run on the lane ``lane``; ``on_done`` /
    ``on_failed`` run on the GUI thread.
    """

    def work() -> tuple[LabelPrinter, Image.Image] | None:
        device = printer()
        image = render()
        if needs_gui_thread(device):
            return device, image
        device.print_image(image, copies=1, job_name=job_name)
        return None

    def done(value: object) -> None:
        if value is not None:
            device, image = cast("tuple[LabelPrinter, Image.Image]", value)
            try:
                device.print_image(image, copies=1, job_name=job_name)
            except Exception as exc:
                on_failed(exc)
                return
        on_done()

    background.run_in_background(work, done, on_failed, name=lane)
