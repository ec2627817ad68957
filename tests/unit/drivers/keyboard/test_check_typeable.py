"""check_typeable: only the service's ID format, never a control character."""

from __future__ import annotations

import re
import sys

import pytest

from drivers.keyboard.base import RefusedCharacters, check_typeable, is_control

DIGITS = r"[0-9]{10}"


def _all_controls() -> list[str]:
    """Every code point of categories Cc, Cf, Zl, Zp (surrogates cannot be typed anyway)."""
    import unicodedata

    return [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")
    ]


def test_digits_pass() -> None:
    check_typeable("0123456789", DIGITS)
    check_typeable("0123456789", re.compile(DIGITS))


def test_letters_refused_when_the_format_is_digits() -> None:
    with pytest.raises(RefusedCharacters) as e:
        check_typeable("01234x678A", DIGITS)
    assert e.value.chars == "xA"
    assert "U+0078 LATIN SMALL LETTER X" in str(e.value)


@pytest.mark.parametrize("pattern", [r"\d{10}", r"[0-9]{10}", re.compile(r"\d{10}"), r"\w+"])
def test_full_width_digits_refused_even_by_backslash_d(pattern: str | re.Pattern[str]) -> None:
    with pytest.raises(RefusedCharacters) as e:
        check_typeable("０１２３４５６７８９", pattern)
    assert e.value.chars == "０１２３４５６７８９"
    assert "FULLWIDTH DIGIT ZERO" in str(e.value)


@pytest.mark.parametrize(
    "ch", [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0))], ids=lambda c: hex(ord(c))
)
def test_c0_c1_and_del_refused_even_by_a_dot_pattern(ch: str) -> None:
    with pytest.raises(RefusedCharacters, match="control characters are never typed") as e:
        check_typeable(f"12{ch}34", r"(?s).*")
    assert e.value.chars == ch


def test_every_control_format_and_separator_character_refused() -> None:
    controls = _all_controls()
    assert {"\u200b", "\u200e", "\u2028", "\u2029", "\ufeff", "\x00", "\x1b"} <= set(controls)
    for ch in controls:
        assert is_control(ch)
        with pytest.raises(RefusedCharacters):
            check_typeable(ch, r"(?s).*")


def test_tab_and_newline_are_refused_inside_the_number() -> None:
    for ch in "\t\n\r":
        with pytest.raises(RefusedCharacters):
            check_typeable(f"01234{ch}6789", r"[0-9\t\n\r]+")


def test_right_characters_wrong_shape_is_refused_without_chars() -> None:
    with pytest.raises(RefusedCharacters, match="does not have the service's ID format") as e:
        check_typeable("123", DIGITS)
    assert e.value.chars == ""


def test_empty_text_refused() -> None:
    with pytest.raises(RefusedCharacters, match="empty"):
        check_typeable("", r".*")


def test_the_default_service_format() -> None:
    default = r"[0-9A-Z\-]{1,32}"
    check_typeable("AB-0012", default)
    with pytest.raises(RefusedCharacters) as e:
        check_typeable("ab-0012", default)
    assert e.value.chars == "ab"


def test_alternatives_groups_and_ignore_case_name_the_right_characters() -> None:
    with pytest.raises(RefusedCharacters) as e:
        check_typeable("L-12#4", r"(?:L|P)-(\d{4})")
    assert e.value.chars == "#"
    check_typeable("ab12", r"(?i)[A-Z]{2}\d{2}")
    with pytest.raises(RefusedCharacters) as e:
        check_typeable("abc", r"[^c]+")
    assert e.value.chars == "c"


def test_an_invalid_pattern_is_refused_clearly() -> None:
    with pytest.raises(RefusedCharacters, match="pattern is invalid"):
        check_typeable("123", r"[0-9")
