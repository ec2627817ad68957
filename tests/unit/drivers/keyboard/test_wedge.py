"""KeyboardWedge: checks first, types only into the target window, prefix and suffix."""

from __future__ import annotations

from drivers.keyboard.base import KeyboardUnavailable, SpecialKey, WedgeSettings, WindowInfo
from drivers.keyboard.wedge import KeyboardWedge, WedgeStatus, window_matches
from tests.unit.drivers.keyboard.fakes import FakeBackend

E, T = SpecialKey.ENTER, SpecialKey.TAB
DIGITS = r"[0-9]{10}"
OPAC = WindowInfo("OPAC - Circulation", "opac.Opac", 4242)
BROWSER = WindowInfo("News - Chromium", "chromium.Chromium", 77)


def test_types_prefix_number_suffix_with_delay() -> None:
    backend = FakeBackend()
    settings = WedgeSettings(prefix=(T,), suffix=(T, E), per_key_delay_s=0.02, any_window=True)
    outcome = KeyboardWedge(backend, settings).deliver("0123456789", DIGITS)
    assert outcome.typed and outcome.status is WedgeStatus.TYPED
    assert backend.events == [T, "0123456789", T, E]
    assert backend.delays == [0.02]


def test_no_suffix() -> None:
    backend = FakeBackend()
    KeyboardWedge(backend, WedgeSettings(suffix=(), any_window=True)).deliver("0123456789", DIGITS)
    assert backend.events == ["0123456789"]


def test_refused_characters_type_nothing() -> None:
    backend = FakeBackend(window=OPAC)
    outcome = KeyboardWedge(backend, WedgeSettings()).deliver("01234\n6789", r".*")
    assert outcome.status is WedgeStatus.REFUSED and not outcome.typed
    assert outcome.refused_chars == "\n"
    assert backend.events == []


def test_matching_target_window_by_title_or_class() -> None:
    for pattern in ("^OPAC", r"opac\.Opac", "Circulation$"):
        backend = FakeBackend(window=OPAC)
        wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern=pattern))
        assert wedge.deliver("0123456789", DIGITS).typed
        assert backend.events == ["0123456789", E]


def test_wrong_window_gets_nothing_and_says_why() -> None:
    backend = FakeBackend(window=BROWSER)
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="^OPAC"))
    outcome = wedge.deliver("0123456789", DIGITS)
    assert outcome.status is WedgeStatus.WRONG_WINDOW and not outcome.typed
    assert outcome.window == BROWSER
    assert "News - Chromium" in outcome.message and "not typed" in outcome.message
    assert backend.events == []


def test_unknown_focus_with_a_target_types_nothing() -> None:
    backend = FakeBackend(window=None)
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="OPAC"))
    outcome = wedge.deliver("0123456789", DIGITS)
    assert outcome.status is WedgeStatus.NO_WINDOW
    assert backend.events == []


def test_any_window_does_not_consult_the_focus() -> None:
    backend = FakeBackend(window=None)
    settings = WedgeSettings(any_window=True)
    assert KeyboardWedge(backend, settings).deliver("0123456789", DIGITS).typed


def test_without_a_pattern_the_default_one_is_used() -> None:
    backend = FakeBackend(window=None)
    outcome = KeyboardWedge(backend, WedgeSettings()).deliver("0123456789", DIGITS)
    assert outcome.status is WedgeStatus.NO_WINDOW and backend.events == []


def test_unavailable_backend_becomes_an_outcome() -> None:
    class Broken(FakeBackend):
        def type_text(self, text: str, *, per_key_delay_s: float = 0.0) -> None:
            raise KeyboardUnavailable("no X display")

    outcome = KeyboardWedge(Broken(), WedgeSettings(any_window=True)).deliver("0123456789", DIGITS)
    assert outcome.status is WedgeStatus.UNAVAILABLE and outcome.message == "no X display"


def test_window_matches_is_a_search() -> None:
    assert window_matches("Circ", OPAC)
    assert not window_matches("^Circ", OPAC)
