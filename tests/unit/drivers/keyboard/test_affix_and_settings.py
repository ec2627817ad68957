"""Prefix/suffix parsing and the wedge settings."""

from __future__ import annotations

import pytest

from drivers.keyboard.base import (
    DEFAULT_TARGET_WINDOW,
    SpecialKey,
    WedgeSettings,
    format_affix,
    parse_affix,
)

E, T = SpecialKey.ENTER, SpecialKey.TAB


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("none", ()),
        ("", ()),
        ("enter", (E,)),
        ("Tab", (T,)),
        ("tab,enter", (T, E)),
        ("tab + tab  enter", (T, T, E)),
        (["tab", "enter"], (T, E)),
        ([E, "tab"], (E, T)),
        (["none"], ()),
    ],
)
def test_parse_affix(
    value: str | list[str | SpecialKey] | None, expected: tuple[SpecialKey]
) -> None:
    assert parse_affix(value) == expected


def test_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown key 'esc'.*none, enter, tab"):
        parse_affix("tab,esc")


@pytest.mark.parametrize("affix", [(), (E,), (T, E), (T, T)])
def test_format_round_trips(affix: tuple[SpecialKey, ...]) -> None:
    assert parse_affix(format_affix(affix)) == affix


def test_settings_defaults_and_validation() -> None:
    s = WedgeSettings()
    assert s.prefix == () and s.suffix == (E,) and s.target_window_pattern == DEFAULT_TARGET_WINDOW
    assert s.any_window is False
    with pytest.raises(ValueError, match="per-key delay"):
        WedgeSettings(per_key_delay_s=-0.1)
    with pytest.raises(ValueError, match="target window pattern"):
        WedgeSettings(target_window_pattern="[unclosed")
