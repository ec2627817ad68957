"""A counter in a public place: the keyboard wedge types only into the library system's
window unless ``keyboard.target_any_window = true`` says any window will do."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.outputs import wedge_settings
from app.recording import DEMO_WINDOW, RecordingKeyboard
from app.settings import SETTINGS_FILE, KeyboardSettings, load_settings
from drivers.keyboard.base import WindowInfo
from drivers.keyboard.wedge import KeyboardWedge, WedgeStatus

DIGITS = r"[0-9]{10}"
CHAT = WindowInfo(title="社内チャット - Chat", wm_class="chat")


def test_by_default_nothing_is_typed_into_another_window() -> None:
    keyboard = RecordingKeyboard(window=CHAT)
    wedge = KeyboardWedge(keyboard, wedge_settings(KeyboardSettings()))

    outcome = wedge.deliver("0123456789", DIGITS)

    assert outcome.status is WedgeStatus.WRONG_WINDOW and keyboard.events == []


@pytest.mark.parametrize("title", ["図書館システム 貸出", "Library Circulation", "OPAC - 蔵書検索",
                                   DEMO_WINDOW.title])
def test_by_default_the_library_systems_window_gets_the_number(title: str) -> None:
    keyboard = RecordingKeyboard(window=WindowInfo(title=title, wm_class="lib"))
    wedge = KeyboardWedge(keyboard, wedge_settings(KeyboardSettings()))

    assert wedge.deliver("0123456789", DIGITS).typed


def test_any_window_is_an_explicit_setting() -> None:
    keyboard = RecordingKeyboard(window=CHAT)
    settings = KeyboardSettings(target_any_window=True)
    assert KeyboardWedge(keyboard, wedge_settings(settings)).deliver("0123456789", DIGITS).typed
    assert keyboard.typed == "0123456789\n"


def test_target_any_window_is_read_from_counter_toml(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text("[keyboard]\ntarget_any_window = true\n",
                                          encoding="utf-8")
    assert load_settings(tmp_path).keyboard.target_any_window is True
