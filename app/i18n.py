"""Message catalogues of the counter: Japanese first, English second.

Catalogues are flat JSON objects, message id → text, in ``resources/translations``.
Texts may hold ``str.format`` fields (``{tries}``); both languages use the same fields.
Free of Qt, so the headless CLI can share the texts.
"""

from __future__ import annotations

import json
import logging
from typing import Final

from resources import FOLDER

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE: Final = "ja"
LANGUAGES: Final = ("ja", "en")


def N_(key: str) -> str:
    """Mark a message id kept in a table, so the catalogue test finds it."""
    return key


def load_messages(language: str) -> dict[str, str]:
    """Read one catalogue; raises ``ValueError`` for a language without one."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for language {language!r}; known: {LANGUAGES}")
    text = (FOLDER / "translations" / f"{language}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"catalogue {language}.json must map message ids to strings")
    return data


class Catalogue:
    """Texts of one language, falling back to Japanese, then to the message id."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            log.warning("unknown language %r, using %s", language, DEFAULT_LANGUAGE)
            language = DEFAULT_LANGUAGE
        self.language = language
        self._messages = load_messages(language)
        self._fallback = (
            self._messages if language == DEFAULT_LANGUAGE else load_messages(DEFAULT_LANGUAGE)
        )

    def tr(self, key: str, **fields: object) -> str:
        """The text of ``key`` with ``fields`` filled in."""
        text = self._messages.get(key) or self._fallback.get(key)
        if text is None:
            log.warning("missing message id %r", key)
            return key
        return text.format(**fields) if fields else text
