"""The printer interface and its errors."""

from __future__ import annotations

from typing import Protocol

from PIL import Image


class PrinterError(Exception):
    """A label could not be printed; ``reason`` says why in words for the staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PrinterUnavailable(PrinterError):
    """The printer or queue cannot be reached (unknown, offline, no device)."""


class PrintFailed(PrinterError):
    """The printer was reached but the job failed."""


class LabelPrinter(Protocol):
    """Prints a finished label image at the device's resolution."""

    def print_image(self, image: Image.Image, *, copies: int = 1, job_name: str) -> None: ...


def check_copies(copies: int) -> None:
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
