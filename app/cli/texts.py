"""The command line's texts: every message from the counter's catalogue, in both languages.

A person at a counter may read either language, so a message is one line holding both:
the counter's configured language first (Japanese unless ``language`` says otherwise),
then the other, ``暗証番号 / PIN``. The catalogues are read on the first message, not at
import: the kiosk's path to its first paint prints none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogue

#: between the languages of one message
LANGUAGE_SEPARATOR = " / "


@cache
def catalogue(language: str) -> Catalogue:
    return Catalogue(language)


class Texts:
    """The messages of one command run, the configured language first."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    @property
    def languages(self) -> tuple[str, ...]:
        """The configured language, then the others."""
        return (self.language, *(other for other in LANGUAGES if other != self.language))

    def tr(self, key: str, **fields: object) -> str:
        """The message ``key`` in every language, ``fields`` filled in: ``日本語 / English``."""
        return _join(catalogue(language).tr(key, **fields) for language in self.languages)

    def tr_list(self, keys: Sequence[str], separator: str = "; ") -> str:
        """Several short messages, each language's run together: ``有効; 住所変更あり /
        valid; address changed``."""
        return _join(
            separator.join(catalogue(language).tr(key) for key in keys)
            for language in self.languages
        )


def _join(texts: Iterable[str]) -> str:
    """The texts in order; one equal to an earlier one (an untranslated id) only once."""
    return LANGUAGE_SEPARATOR.join(dict.fromkeys(texts))
