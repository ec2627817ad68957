"""Which reader names are virtual: software readers that a program, not a card, answers.

vsmartcard's vpcd ("Virtual PCD 00 00") listens on a TCP port on every interface, so any
host that reaches it can play a card. Names are compared after NFKC normalisation with
format and control characters removed and case folded, so "Ｖｉｒｔｕａｌ ＰＣＤ" or a
zero-width space does not slip past.
"""

from __future__ import annotations

import unicodedata

#: parts of a reader's name that mark it as virtual (already folded)
VIRTUAL_READER_MARKS = ("virtual pcd", "vpcd", "vsmartcard", "virtual smart card",
                        "virtual reader", "virtual card")


def folded(name: str) -> str:
    """``name`` NFKC-normalised, without format/control characters, spaces collapsed,
    case folded."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(text.split()).casefold()


def is_virtual_reader(name: str) -> bool:
    """True if the PC/SC reader ``name`` is a virtual one."""
    text = folded(name)
    return any(mark in text for mark in VIRTUAL_READER_MARKS)
