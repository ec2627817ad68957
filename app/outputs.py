"""Keyboard wedges, label printers and label contents built from the settings.

Shared by the kiosk's deliveries and the CLI. Backends import platform libraries (Xlib,
evdev, pywin32, Quartz, brother_ql, python-escpos, Qt's print support): everything here
imports them only when a backend is built.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from app.settings import KeyboardSettings, LabelSettings

if TYPE_CHECKING:
    from app.labels import LabelContent, LabelSize
    from drivers.keyboard import KeyboardBackend, KeyboardWedge, WedgeSettings
    from drivers.printers import LabelPrinter
    from server.api.schemas import BarcodeSpec, ServiceInfo

#: what the label shows as the terminal's name when none is set
DEFAULT_TERMINAL_NAME = "MyKey Counter"
TEST_MARK = "TEST / テスト"


class NoPrinterConfigured(Exception):
    """``[label] printer`` is not set."""


def keyboard_backend(settings: KeyboardSettings) -> KeyboardBackend:
    """The backend named in the settings; ``KeyboardUnavailable`` if it cannot work here."""
    if settings.backend == "recording":
        from app.recording import RecordingKeyboard

        return RecordingKeyboard()
    from drivers.keyboard import choose_backend

    return choose_backend(settings.backend)


def wedge_settings(settings: KeyboardSettings) -> WedgeSettings:
    from drivers.keyboard import WedgeSettings, parse_affix

    return WedgeSettings(
        prefix=parse_affix(settings.prefix),
        suffix=parse_affix(settings.suffix),
        per_key_delay_s=settings.per_key_delay_s,
        target_window_pattern=settings.target_window,  # None: the driver's default
        any_window=settings.target_any_window,
    )


def make_wedge(settings: KeyboardSettings) -> KeyboardWedge:
    from drivers.keyboard import KeyboardWedge

    return KeyboardWedge(keyboard_backend(settings), wedge_settings(settings))


def make_printer(settings: LabelSettings) -> LabelPrinter:
    """The printer named in the settings; :class:`NoPrinterConfigured` if none is."""
    if settings.printer is None:
        raise NoPrinterConfigured(
            "no label printer is configured: set printer in the [label] table of counter.toml"
        )
    if settings.printer == "recording":
        from app.recording import RecordingPrinter

        return RecordingPrinter()
    if settings.printer == "spooler":
        from drivers.printers.cups import SpoolerPrinter

        return SpoolerPrinter(settings.queue)
    if settings.target is None:
        raise NoPrinterConfigured(f"label.target must name the {settings.printer} printer")
    if settings.printer == "brother":
        from drivers.printers.brother import BrotherQLPrinter

        brother_label = label_size(settings).brother_label
        if brother_label is None:
            raise NoPrinterConfigured(f"a Brother QL cannot print {settings.size} labels")
        return BrotherQLPrinter(settings.target, model=settings.model, label=brother_label)
    from drivers.printers.escpos import EscposPrinter

    return EscposPrinter(settings.target)


def label_size(settings: LabelSettings) -> LabelSize:
    from app.labels import LABEL_SIZES

    return LABEL_SIZES[settings.size]


def label_content(
    service: ServiceInfo,
    service_id: str,
    settings: LabelSettings,
    *,
    terminal_id: str | None = None,
    issued_at: dt.datetime | None = None,
    test: bool = False,
) -> LabelContent:
    """What one label for ``service_id`` says (issued now, in local time)."""
    from app.labels import LabelContent

    name = service.display_name
    return LabelContent(
        service_name=f"{TEST_MARK} {name}" if test else name,
        provider=service.provider,
        service_id=service_id,
        barcode=service.barcode,
        issued_at=issued_at or dt.datetime.now().astimezone(),
        terminal_name=settings.terminal_name or terminal_id or DEFAULT_TERMINAL_NAME,
    )


def sample_number(spec: BarcodeSpec, max_length: int = 32) -> str:
    """A number that fits the service's pattern and symbology: all zeros of the right
    length where the pattern allows it (else all ``A``, all ``1``); ``ValueError`` if none."""
    from app.barcodes import validate_service_id

    try:
        pattern = re.compile(spec.pattern)
    except re.error as e:
        raise ValueError(f"the service's ID pattern is invalid: {e}") from None
    for char in "0A1":
        for length in range(1, max_length + 1):
            candidate = char * length
            if pattern.fullmatch(candidate) is None:
                continue
            try:
                validate_service_id(candidate, spec)
            except ValueError:
                continue
            return candidate
    raise ValueError(f"no test number fits the pattern {spec.pattern!r}")
