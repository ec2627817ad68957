"""Every ErrorKind has its own screen text, in Japanese and in English."""

from __future__ import annotations

import pytest

from app.flow import RETRYABLE, State
from app.i18n import Catalogue
from app.ports import ErrorKind, TapError
from app.ui.screens.error import MESSAGES
from tests.gui.conftest import FakeSettings, FakeTapper

pytestmark = pytest.mark.gui

#: PIN_BLOCKED has the locked screen instead
ERROR_SCREEN_KINDS = [kind for kind in ErrorKind if kind is not ErrorKind.PIN_BLOCKED]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("kind", ERROR_SCREEN_KINDS)
def test_error_screen_per_kind(make_counter, kind: ErrorKind, language: str) -> None:
    counter = make_counter(FakeTapper([TapError(kind)]), FakeSettings(language=language))
    counter.insert()
    counter.wait_for(State.ERROR)
    texts = Catalogue(language)
    title, message = MESSAGES[kind]
    screen = counter.window.error
    assert screen.title.text() == texts.tr(title)
    assert screen.message.text() == texts.tr(message)
    assert screen.retry_button.isVisibleTo(counter.window) is (kind in RETRYABLE)
    assert screen.back_button.text() == texts.tr("error.back")


def test_error_titles_differ_per_kind() -> None:
    for language in ("ja", "en"):
        texts = Catalogue(language)
        titles = {texts.tr(MESSAGES[kind][0]) for kind in ErrorKind}
        assert len(titles) >= len(ErrorKind) - 1  # pin_blocked shares the locked wording


def test_english_screens_are_english(make_counter) -> None:
    counter = make_counter(FakeTapper([TapError(ErrorKind.NO_READER)]), FakeSettings(language="en"))
    counter.wait_for(State.IDLE)
    assert "Place your My Number Card on the reader" in counter.texts()
    counter.insert()
    counter.wait_for(State.ERROR)
    assert counter.window.error.title.text() == "No card reader found"


def test_back_from_error_returns_idle(make_counter) -> None:
    counter = make_counter(FakeTapper([TapError(ErrorKind.NOT_JPKI_CARD)]))
    counter.insert()
    counter.wait_for(State.ERROR)
    counter.window.error.back_button.click()
    counter.wait_for(State.IDLE)
    assert counter.window.error.title.text() == ""
