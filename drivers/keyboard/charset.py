"""Which single characters a regular expression can match anywhere (for clear refusals)."""

from __future__ import annotations

import re
from typing import Any

# re._parser is CPython's own pattern parser (sre_parse before 3.11); it is only used to name
# the offending characters in a message. If it ever fails, every character counts as possible.
try:
    import re._constants as _c  # type: ignore[import-not-found,unused-ignore]
    import re._parser as _sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - other Python implementations
    _sre_parse = None
    _c = None

_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def ascii_pattern(allowed: str | re.Pattern[str]) -> re.Pattern[str]:
    """The pattern compiled with re.ASCII, so \\d and \\w never admit full-width digits."""
    if isinstance(allowed, re.Pattern):
        return re.compile(allowed.pattern, (allowed.flags & ~re.UNICODE) | re.ASCII)
    return re.compile(allowed, re.ASCII)


def pattern_admits(pattern: re.Pattern[str], ch: str) -> bool:
    """True if ``ch`` could appear in some match of ``pattern`` (an over-approximation)."""
    if _sre_parse is None:  # pragma: no cover
        return True
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # be permissive: this only refines a message
        return True
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    candidates = {ch, ch.lower(), ch.upper()} if ignore_case else {ch}
    return any(_seq_admits(tree, c, pattern.flags) for c in candidates)


def _seq_admits(seq: Any, ch: str, flags: int) -> bool:
    return any(_item_admits(op, av, ch, flags) for op, av in seq)


def _item_admits(op: Any, av: Any, ch: str, flags: int) -> bool:
    name = str(op)
    code = ord(ch)
    if name == "LITERAL":
        return bool(av == code)
    if name == "NOT_LITERAL":
        return bool(av != code)
    if name == "ANY":
        return True
    if name == "IN":
        return _in_admits(av, ch, flags)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return _seq_admits(av[2], ch, flags)
    if name == "SUBPATTERN":
        return _seq_admits(av[3], ch, flags)
    if name == "ATOMIC_GROUP":
        return _seq_admits(av, ch, flags)
    if name == "BRANCH":
        return any(_seq_admits(branch, ch, flags) for branch in av[1])
    if name == "GROUPREF_EXISTS":
        return any(_seq_admits(b, ch, flags) for b in av[1:] if b is not None)
    return False  # AT (anchors), ASSERT, ASSERT_NOT, GROUPREF: consume no new character


def _in_admits(items: Any, ch: str, flags: int) -> bool:
    negate = False
    hit = False
    code = ord(ch)
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or av == code
        elif name == "RANGE":
            hit = hit or av[0] <= code <= av[1]
        elif name == "CATEGORY":
            escape = _CATEGORIES.get(str(av))
            hit = hit or escape is None or re.fullmatch(escape, ch, flags & re.ASCII) is not None
    return hit != negate
