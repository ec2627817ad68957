"""How a service ID reaches the desk: one interface, one class per method.

"show" (A) and "barcode" (B) write to the result screen; "keyboard" (C) and "label" (D)
come later and will find their backends in :class:`DeliveryContext`.

The barcode libraries and Pillow are imported on first use (or by :func:`warm_up` after
the kiosk's first paint), never on the way to the idle screen.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PIL import Image
    from PySide6.QtGui import QImage

    from server.api.schemas import BarcodeSpec, LookupResult, ServiceInfo

log = logging.getLogger(__name__)

#: on-screen barcode size: scanners read wide bars from a step away
BARCODE_MAX_WIDTH_PX = 960
BARCODE_MAX_MODULE_PX = 4
BAR_HEIGHT_PX = 150
QR_SIZE_PX = 200


def barcode_image(service_id: str, spec: BarcodeSpec) -> Image.Image:
    """The barcode with the widest whole-pixel module that fits the result screen."""
    from app.barcodes import render_barcode
    from server.api.schemas import Symbology

    if spec.symbology is Symbology.QR:
        return render_barcode(service_id, spec, height_px=QR_SIZE_PX)
    modules = render_barcode(service_id, spec, module_px=1, height_px=1).width
    module_px = max(1, min(BARCODE_MAX_MODULE_PX, BARCODE_MAX_WIDTH_PX // modules))
    return render_barcode(service_id, spec, module_px=module_px, height_px=BAR_HEIGHT_PX)


class ResultDisplay(Protocol):
    """Where on-screen deliveries put the service ID (the result screen)."""

    def show_number(self, service_id: str) -> None: ...

    def show_barcode(self, image: QImage) -> None: ...

    def show_delivery_failed(self) -> None: ...


@dataclass(frozen=True)
class DeliveryContext:
    """What a delivery method may use besides the lookup itself."""

    service: ServiceInfo
    display: ResultDisplay


class Delivery(Protocol):
    name: str
    #: modules ``deliver`` imports on first use; :func:`warm_up` loads them ahead of time
    modules: tuple[str, ...]

    def deliver(self, result: LookupResult, context: DeliveryContext) -> None:
        """Hand ``result.service_id`` over; raise on failure."""
        ...


class ShowDelivery:
    """A. the number in large digits, for the librarian to read and type."""

    name = "show"
    modules: tuple[str, ...] = ()

    def deliver(self, result: LookupResult, context: DeliveryContext) -> None:
        context.display.show_number(result.service_id)


class BarcodeDelivery:
    """B. the number as the service's barcode, for the desk's scanner."""

    name = "barcode"
    modules: tuple[str, ...] = ("app.barcodes", "app.ui.images")

    def deliver(self, result: LookupResult, context: DeliveryContext) -> None:
        from app.ui.images import pil_to_qimage

        image = barcode_image(result.service_id, context.service.barcode)
        context.display.show_barcode(pil_to_qimage(image))


METHODS: dict[str, Callable[[], Delivery]] = {
    ShowDelivery.name: ShowDelivery,
    BarcodeDelivery.name: BarcodeDelivery,
}


def deliveries_for(names: Sequence[str]) -> list[Delivery]:
    """The delivery methods named in the settings, in order; unknown ones are skipped."""
    methods: list[Delivery] = []
    for name in names:
        factory = METHODS.get(name)
        if factory is None:
            log.warning("delivery method %r is not available in this build; skipped", name)
            continue
        methods.append(factory())
    return methods


def warm_up(methods: Sequence[Delivery]) -> None:
    """Import what the methods need for their first result (any thread; the kiosk calls it
    off the GUI thread once the idle screen is painted)."""
    for method in methods:
        for module in method.modules:
            importlib.import_module(module)


def deliver_all(methods: Sequence[Delivery], result: LookupResult, ctx: DeliveryContext) -> bool:
    """Run every method; a failing one is logged (without the ID) and does not stop the rest."""
    ok = True
    for method in methods:
        try:
            method.deliver(result, ctx)
        except Exception as exc:
            log.error("delivery %s failed: %s", method.name, type(exc).__name__)
            ctx.display.show_delivery_failed()
            ok = False
    return ok
