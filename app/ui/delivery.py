"""How a service ID reaches the desk: one interface, one class per method.

"show" (A) and "barcode" (B) write to the result screen. "keyboard" (C) types the number
into the desk's system and "label" (D) prints a same-day label: both block (per-key
delays, printers), so they run off the GUI thread (the kiosk's
:class:`app.ui.background.Background`, one lane per method) and report on the result
screen; a number that was not typed or printed is shown there (A) instead.
Their backends are built on first use from the settings (:mod:`app.outputs`).

The barcode libraries and Pillow are imported on first use (or by :func:`warm_up` after
the kiosk's first paint), never on the way to the idle screen.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from app.i18n import N_
from app.settings import KeyboardSettings, LabelSettings

if TYPE_CHECKING:
    from PIL import Image
    from PySide6.QtGui import QImage

    from app.ui.printing import BackgroundRunner
    from drivers.keyboard import KeyboardWedge, WedgeOutcome
    from drivers.printers import LabelPrinter
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

    def result_token(self) -> int:
        """Changes whenever the screen is cleared: a late report checks it is still current."""
        ...

    def show_delivery_notice(self, channel: str, key: str, kind: str, **fields: object) -> None:
        """One line per ``channel`` ("keyboard", "label"): catalogue text ``key`` with
        ``fields``, styled as ``kind`` ("staff", "caution", "danger")."""
        ...


@dataclass(frozen=True)
class DeliveryContext:
    """What a delivery method may use besides the lookup itself."""

    service: ServiceInfo
    display: ResultDisplay
    #: where blocking work (typing, printing) runs
    background: BackgroundRunner


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


KEYBOARD_NOTICES: dict[str, str] = {
    "wrong_window": N_("result.keyboard.wrong_window"),
    "no_window": N_("result.keyboard.wrong_window"),
    "refused": N_("result.keyboard.refused"),
    "unavailable": N_("result.keyboard.unavailable"),
}


class _BackgroundDelivery:
    """A delivery whose blocking work (typing, printing) runs on its own background lane,
    one job at a time per method; ``pending`` tells unattended runs to wait for it."""

    name: str

    def __init__(self) -> None:
        from app.ui.background import Tally

        self._tally = Tally()

    @property
    def pending(self) -> int:
        return self._tally.count

    def _run(
        self,
        background: BackgroundRunner,
        work: Callable[[], object],
        done: Callable[[object], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        finished, broke = self._tally.wrap(done, failed)
        background.run_in_background(work, finished, broke, name=self.name)


class KeyboardDelivery(_BackgroundDelivery):
    """C. the number typed into the desk's system, while the result shows.

    Typing runs off the GUI thread, one number at a time. When it was not typed (another
    window has the focus, characters refused, no keyboard backend), the number is shown
    with a notice saying why.
    """

    name = "keyboard"
    modules: tuple[str, ...] = ("app.outputs", "drivers.keyboard")

    def __init__(
        self,
        settings: KeyboardSettings,
        make_wedge: Callable[[KeyboardSettings], KeyboardWedge] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._make_wedge = make_wedge
        self._wedge: KeyboardWedge | None = None

    def wedge(self) -> KeyboardWedge:
        """The wedge, built on first use (its backend imports platform libraries)."""
        if self._wedge is None:
            from app.outputs import make_wedge

            self._wedge = (self._make_wedge or make_wedge)(self.settings)
        return self._wedge

    def deliver(self, result: LookupResult, context: DeliveryContext) -> None:
        display = context.display
        token = display.result_token()
        service_id, allowed = result.service_id, context.service.barcode.pattern

        def work() -> WedgeOutcome:
            return self.wedge().deliver(service_id, allowed)

        def done(value: object) -> None:
            outcome = cast("WedgeOutcome", value)
            if outcome.typed:
                if display.result_token() == token:
                    display.show_delivery_notice("keyboard", N_("result.keyboard.typed"), "staff")
                return
            log.warning("the number was not typed: %s", outcome.status.value)
            self._not_typed(display, token, service_id, KEYBOARD_NOTICES[outcome.status.value])

        def failed(exc: BaseException) -> None:
            log.error("keyboard wedge failed: %s", type(exc).__name__)
            self._not_typed(display, token, service_id, N_("result.keyboard.unavailable"))

        self._run(context.background, work, done, failed)

    @staticmethod
    def _not_typed(display: ResultDisplay, token: int, service_id: str, key: str) -> None:
        if display.result_token() != token:
            return  # the screen was cleared meanwhile: never bring the number back
        display.show_number(service_id)
        display.show_delivery_notice("keyboard", key, "caution")


def failure_detail(exc: BaseException) -> str:
    """A short reason for the staff, without the service ID."""
    from drivers.printers import PrinterError

    if isinstance(exc, PrinterError):
        return exc.reason
    from app.labels import FontNotFound
    from app.outputs import NoPrinterConfigured

    if isinstance(exc, NoPrinterConfigured | FontNotFound):
        return str(exc)
    return type(exc).__name__


class LabelDelivery(_BackgroundDelivery):
    """D. a same-day label: drawn and printed off the GUI thread, progress on the screen.

    If it cannot be printed, the screen says why and shows the number.
    """

    name = "label"
    modules: tuple[str, ...] = ("app.labels", "app.outputs", "app.ui.printing")

    def __init__(
        self,
        settings: LabelSettings,
        *,
        terminal_id: str | None = None,
        make_printer: Callable[[LabelSettings], LabelPrinter] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.terminal_id = terminal_id
        self._make_printer = make_printer
        self._printer: LabelPrinter | None = None

    def printer(self) -> LabelPrinter:
        """The printer, built on first use."""
        if self._printer is None:
            from app.outputs import make_printer

            self._printer = (self._make_printer or make_printer)(self.settings)
        return self._printer

    def deliver(self, result: LookupResult, context: DeliveryContext) -> None:
        from app.outputs import label_content, label_size

        display = context.display
        token = display.result_token()
        service_id = result.service_id
        content = label_content(
            context.service, service_id, self.settings, terminal_id=self.terminal_id
        )
        size = label_size(self.settings)
        job_name = f"MyKey label {context.service.name}"  # never the ID: spool logs keep it
        display.show_delivery_notice("label", N_("result.label.printing"), "staff")

        def render() -> Image.Image:
            from app.labels import render_label

            return render_label(content, size)

        def done() -> None:
            if display.result_token() == token:
                display.show_delivery_notice("label", N_("result.label.printed"), "staff")

        def failed(exc: BaseException) -> None:
            log.error("label printing failed: %s", type(exc).__name__)
            if display.result_token() != token:
                return
            display.show_number(service_id)
            display.show_delivery_notice(
                "label", N_("result.label.failed"), "danger", detail=failure_detail(exc)
            )

        from app.ui.printing import print_rendered

        printed, broke = self._tally.wrap(lambda _: done(), failed)
        print_rendered(context.background, printer=self.printer, render=render,
                       job_name=job_name, on_done=lambda: printed(None), on_failed=broke,
                       lane=self.name)


def deliveries_for(
    names: Sequence[str],
    *,
    keyboard: KeyboardSettings | None = None,
    label: LabelSettings | None = None,
    terminal_id: str | None = None,
) -> list[Delivery]:
    """The delivery methods named in the settings, in order; unknown ones are skipped."""
    methods: list[Delivery] = []
    for name in names:
        if name == ShowDelivery.name:
            methods.append(ShowDelivery())
        elif name == BarcodeDelivery.name:
            methods.append(BarcodeDelivery())
        elif name == KeyboardDelivery.name:
            methods.append(KeyboardDelivery(keyboard or KeyboardSettings()))
        elif name == LabelDelivery.name:
            methods.append(LabelDelivery(label or LabelSettings(), terminal_id=terminal_id))
        else:
            log.warning("delivery method %r is not available in this build; skipped", name)
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
