"""Free text that people type: kept as typed, cleaned of what no one can see, compared
as a person would.

A name such as ``O'Brien``, ``髙橋`` or full-width ``Ｔａｎａｋａ`` is real and must be
accepted.  What must not pass is what looks like nothing or like another string: zero-width
and other format characters (Unicode category Cf, which includes the bidi controls), control
characters (Cc) and unassigned code points.  Output is escaped where it is written (the
templates escape; :func:`csv_cell` guards spreadsheets), never by refusing characters here.

- :func:`clean` is what is stored: NFC, format/control characters removed, white space
  collapsed and trimmed.
- :func:`comparison_key` is what is compared: the cleaned text in NFKC (full-width and
  half-width forms fold together), case-folded.  ``Tanaka\\u200b`` and ``Ｔａｎａｋａ``
  have the key of ``tanaka``.
- :func:`csv_cell` keeps a spreadsheet from reading a cell as a formula.
"""

from __future__ import annotations

import unicodedata

#: categories removed from free text: control, format (zero-width, bidi), surrogate,
#: private use, unassigned
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
#: characters a spreadsheet reads as the start of a formula (OWASP's list)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _visible(char: str) -> bool:
    if char in "\t\n\r":
        return True  # white space: collapsed below, not dropped
    return unicodedata.category(char) not in _DROPPED_CATEGORIES


def clean(text: str) -> str:
    """``text`` as it is stored: NFC, invisible characters gone, white space collapsed."""
    visible = "".join(char for char in unicodedata.normalize("NFC", text) if _visible(char))
    return " ".join(visible.split())


def comparison_key(text: str) -> str:
    """What two names are compared by: cleaned, NFKC, case-folded, white space collapsed."""
    folded = unicodedata.normalize("NFKC", clean(text)).casefold()
    return " ".join(folded.split())


def same_person_name(first: str, second: str) -> bool:
    """Whether two typed names are the same once invisible and width differences go."""
    return comparison_key(first) == comparison_key(second)


def csv_cell(value: object) -> str:
    """A cell for a CSV a person opens in a spreadsheet: a leading ``= + - @`` (or a tab or
    line break) is prefixed with ``'`` so the cell is text, not a formula.  Numbers are
    written as they are (a negative amount stays a number)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text
