"""The X11 keyboard wedge against a real X server (Xvfb) and a text field in another process."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.keyboard.base import SpecialKey, WedgeSettings
from drivers.keyboard.wedge import KeyboardWedge, WedgeStatus
from drivers.keyboard.x11 import X11Backend
from tests.fixtures.xvfb import Xvfb

pytestmark = pytest.mark.integration

DIGITS = r"[0-9]{10}"
WAIT_S = 30.0  # a deadline for the other process, not a timing assertion

# A Tk window with one entry field; each Enter appends the field's text as a line to a file.
TEXT_FIELD_APP = """
import sys, tkinter as tk
title, out = sys.argv[1], sys.argv[2]
root = tk.Tk(); root.title(title)
entry = tk.Entry(root, width=40); entry.pack(padx=10, pady=10); entry.focus_set()
def done(_event):
    with open(out, "a", encoding="utf-8") as f:
        f.write(entry.get() + "\\n")
    entry.delete(0, "end")
entry.bind("<Return>", done)
root.mainloop()
"""


@dataclass
class TextFieldWindow:
    """A text-field window of another process."""

    title: str
    out: Path
    window_id: str
    process: subprocess.Popen[bytes]

    def lines(self) -> list[str]:
        """The lines received so far (each ended by Enter)."""
        if not self.out.exists():
            return []
        return self.out.read_text(encoding="utf-8").splitlines()

    def wait_lines(self, count: int) -> list[str]:
        """Wait until ``count`` lines arrived (or the deadline passed), then return them."""
        deadline = time.monotonic() + WAIT_S
        while len(self.lines()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # let any surplus (doubled) line arrive too
        return self.lines()


def _xdotool(xvfb: Xvfb, *args: str) -> str:
    result = subprocess.run(
        ["xdotool", *args], env=xvfb.env, capture_output=True, text=True, timeout=WAIT_S
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _focus(xvfb: Xvfb, window: TextFieldWindow) -> None:
    _xdotool(xvfb, "windowfocus", "--sync", window.window_id)


@pytest.fixture(scope="module")
def xdotool() -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    try:
        import tkinter  # noqa: F401
    except ImportError:
        pytest.skip("this Python has no tkinter")


def _open_window(xvfb: Xvfb, tmp_path: Path, title: str) -> TextFieldWindow:
    out = tmp_path / f"{title}.txt"
    proc = subprocess.Popen([sys.executable, "-c", TEXT_FIELD_APP, title, str(out)], env=xvfb.env)
    window_id = _xdotool(xvfb, "search", "--sync", "--name", f"^{title}$").splitlines()[0]
    return TextFieldWindow(title, out, window_id, proc)


@pytest.fixture
def windows(xvfb: Xvfb, xdotool: None, tmp_path: Path) -> Iterator[list[TextFieldWindow]]:
    opened: list[TextFieldWindow] = []

    def close_all() -> None:
        for w in opened:
            w.process.terminate()
            w.process.wait(timeout=10)

    try:
        opened.append(_open_window(xvfb, tmp_path, "Library-OPAC"))
        opened.append(_open_window(xvfb, tmp_path, "Other-App"))
        yield opened
    finally:
        close_all()


@pytest.fixture
def backend(xvfb: Xvfb) -> Iterator[X11Backend]:
    b = X11Backend(xvfb.display)
    yield b
    b.close()


def test_number_and_enter_reach_the_other_process(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    library, other = windows
    _focus(xvfb, library)
    window = backend.focused_window()
    assert window is not None and window.title == "Library-OPAC"

    outcome = KeyboardWedge(backend, WedgeSettings()).deliver("0123456789", DIGITS)

    assert outcome.typed, outcome.message
    assert library.wait_lines(1) == ["0123456789"]
    assert other.lines() == []


def test_mixed_characters_and_shift(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    library, _ = windows
    _focus(xvfb, library)
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="Library"))
    outcome = wedge.deliver("AB-12cd_9", r"[0-9A-Za-z_\-]+")
    assert outcome.typed, outcome.message
    assert library.wait_lines(1) == ["AB-12cd_9"]


def test_200_lookups_in_a_row_lose_or_double_nothing(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    library, _ = windows
    _focus(xvfb, library)
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="^Library"))
    numbers = [f"{(i * 7919 + 1234567) % 10**10:010d}" for i in range(200)]

    for number in numbers:
        assert wedge.deliver(number, DIGITS).typed

    assert library.wait_lines(200) == numbers


def test_wrong_focused_window_gets_nothing(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    library, other = windows
    _focus(xvfb, other)
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="^Library"))

    outcome = wedge.deliver("0123456789", DIGITS)

    assert outcome.status is WedgeStatus.WRONG_WINDOW
    assert outcome.window is not None and outcome.window.title == "Other-App"
    # Prove the other window is live and would have received keys: type a marker there.
    backend.type_text("42")
    backend.press(SpecialKey.ENTER)
    assert other.wait_lines(1) == ["42"]
    assert library.lines() == []


def test_a_character_missing_from_the_keyboard_map_is_typed_through_a_spare_keycode(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    library, _ = windows
    _focus(xvfb, library)
    outcome = KeyboardWedge(backend, WedgeSettings(per_key_delay_s=0.001)).deliver(
        "Zé1ü", r"[0-9A-Za-zéü]+"
    )
    assert outcome.typed, outcome.message
    assert library.wait_lines(1) == ["Zé1ü"]


def test_the_counters_default_settings_type_into_no_other_window(
    xvfb: Xvfb, windows: list[TextFieldWindow], backend: X11Backend
) -> None:
    from app.outputs import wedge_settings
    from app.settings import KeyboardSettings

    _, other = windows
    _focus(xvfb, other)  # e.g. a chat window, a browser's address bar

    outcome = KeyboardWedge(backend, wedge_settings(KeyboardSettings())).deliver(
        "0123456789", DIGITS)

    assert outcome.status is WedgeStatus.WRONG_WINDOW
    assert other.wait_lines(0) == []
