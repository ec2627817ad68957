"""The message catalogues: same ids in both languages, every id used in code exists."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from app.i18n import LANGUAGES, Catalogue, load_messages
from app.ports import ErrorKind
from app.ui.screens.error import MESSAGES

APP = Path(__file__).resolve().parents[2] / "app"
TRANSLATING_CALLS = {"tr", "N_"}


def used_message_ids() -> set[str]:
    """First string arguments of ``….tr("id")`` and ``N_("id")`` anywhere in app/."""
    ids: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in TRANSLATING_CALLS and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    ids.add(first.value)
    return ids


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_have_the_same_ids() -> None:
    ja, en = load_messages("ja"), load_messages("en")
    assert set(ja) == set(en)


def test_both_languages_fill_the_same_fields() -> None:
    ja, en = load_messages("ja"), load_messages("en")
    for key in ja:
        assert fields(ja[key]) == fields(en[key]), key


def test_every_id_used_in_code_exists() -> None:
    used = used_message_ids()
    assert len(used) > 40  # the scan found the screens' texts
    for language in LANGUAGES:
        missing = used - set(load_messages(language))
        assert not missing, f"{language}: {sorted(missing)}"


def test_no_unused_ids() -> None:
    assert set(load_messages("ja")) - used_message_ids() == set()


def test_every_error_kind_has_a_message() -> None:
    assert set(MESSAGES) == set(ErrorKind)


def test_japanese_is_the_default_and_english_differs() -> None:
    assert Catalogue().language == "ja"
    assert Catalogue().tr("idle.title") == "カードをかざしてください"
    assert Catalogue("en").tr("idle.title") == "Place your My Number Card on the reader"
    assert Catalogue("ja").tr("pin.tries_left", tries=2) == "残り 2 回"


def test_unknown_language_falls_back_to_japanese() -> None:
    assert Catalogue("xx").language == "ja"
    with pytest.raises(ValueError):
        load_messages("xx")
