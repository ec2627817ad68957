"""Recording backends: a keyboard and a printer that only remember what they were given.

They satisfy ``drivers.keyboard.KeyboardBackend`` and ``drivers.printers.LabelPrinter``;
settings choose them with ``backend = "recording"`` / ``printer = "recording"`` (tests and
demo mode). Thread-safe: deliveries call them from a background thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drivers.keyboard import SpecialKey, WindowInfo

if TYPE_CHECKING:
    from PIL import Image

    from drivers.printers import PrinterError

#: the window the recording keyboard reports as focused unless told otherwise
DEMO_WINDOW = WindowInfo(title="MyKey demo library system", wm_class="recording")
_KEY_TEXT = {SpecialKey.ENTER: "\n", SpecialKey.TAB: "\t"}


class RecordingKeyboard:
    """Records key presses instead of injecting them; ``window`` is the focused window."""

    name = "recording"

    def __init__(self, window: WindowInfo | None = DEMO_WINDOW) -> None:
        self.window = window
        self._lock = threading.Lock()
        #: every event: a typed text, or a special key
        self.events: list[str | SpecialKey] = []
        #: the per-key delays asked for, one per ``type_text`` call
        self.delays: list[float] = []

    def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
        with self._lock:
            self.events.append(text)
            self.delays.append(per_key_delay_s)

    def press(self, key: SpecialKey) -> None:
        with self._lock:
            self.events.append(key)

    def focused_window(self) -> WindowInfo | None:
        return self.window

    @property
    def typed(self) -> str:
        """Everything typed so far, Enter as ``\\n`` and Tab as ``\\t``."""
        with self._lock:
            return "".join(e if isinstance(e, str) else _KEY_TEXT[e] for e in self.events)


@dataclass(frozen=True)
class PrintJob:
    image: Image.Image
    copies: int
    job_name: str


class RecordingPrinter:
    """Keeps every label image instead of printing it; ``error``, if set, is raised instead."""

    def __init__(self, error: PrinterError | None = None) -> None:
        self.error = error
        self._lock = threading.Lock()
        self.jobs: list[PrintJob] = []

    def print_image(self, image: Image.Image, *, copies: int = 1, job_name: str) -> None:
        if copies < 1:
            raise ValueError(f"copies must be at least 1, got {copies}")
        if self.error is not None:
            raise self.error
        with self._lock:
            self.jobs.append(PrintJob(image.copy(), copies, job_name))

    @property
    def images(self) -> list[Image.Image]:
        with self._lock:
            return [job.image for job in self.jobs]
