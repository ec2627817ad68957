"""Free text: real names pass, invisible and look-alike differences do not make another name."""

from __future__ import annotations

import pytest

from server.text import clean, comparison_key, csv_cell, same_person_name


@pytest.mark.parametrize("name", ["O'Brien", "髙橋", "Ｔａｎａｋａ", "Anne-Marie", 'Jo "JJ" Lee'])
def test_real_names_are_kept_as_typed(name: str) -> None:
    assert clean(name) == name


@pytest.mark.parametrize(
    "variant",
    [
        "Tanaka\u200b",
        "Ｔａｎａｋａ",
        "TANAKA",
        " tanaka ",
        "\u202eTanaka",
        "Ta\u00adnaka",
        "Tan\u2060aka",
    ],
)
def test_look_alikes_compare_equal(variant: str) -> None:
    assert same_person_name(variant, "Tanaka")
    assert comparison_key(variant) == "tanaka"


def test_different_names_differ() -> None:
    assert not same_person_name("Tanaka", "Tanака")  # Cyrillic letters are other letters
    assert not same_person_name("髙橋", "高橋")


def test_controls_and_format_characters_are_removed() -> None:
    assert clean("a\x00b\x1fc\u200dd\ufeffe") == "abcde"
    assert clean("line\nbreak\t tab") == "line break tab"


@pytest.mark.parametrize("cell", ["=1+1", "+81", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_csv_cells_never_start_a_formula(cell: str) -> None:
    assert csv_cell(cell).startswith("'")


def test_csv_numbers_and_plain_text_stay() -> None:
    assert csv_cell(-500) == "-500"
    assert csv_cell(12) == "12"
    assert csv_cell("O'Brien") == "O'Brien"
    assert csv_cell(None) == ""
