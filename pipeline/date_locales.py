"""htmldate's fallback date parser, limited to the page's declared language and English.

htmldate hands the date strings its own rules cannot read ("4 de março de 2025") to dateparser,
built with every locale dateparser knows (about 200). The first string no locale reads is tried
against all of them, and trying a locale compiles its regular expressions: about 7 seconds in
every new process, a fifth of a 400-page run's time (``bench/steps.py``), paid again by every
worker.

:func:`page_language` builds that parser for the page's declared language and English instead.
A page that declares no language, or one dateparser does not know, keeps every locale. Measured
on the WCXB dev pages (``bench/extraction.py``): the same date on all 782 pages whose date the
ground truth gives, with htmldate's time per call down from about 22-27 ms to 6 ms. A page that
declares the wrong language (a theme's ``lang="en"`` on a Polish site) loses the dates only
dateparser reads; htmldate's own rules still read the common French, German, Spanish and
Turkish forms.

htmldate caches what it parses by the string alone, so a string met first on a page in another
language keeps that page's reading; two pages printing the very same date string in two
languages are rare enough to leave it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import htmldate.extractors
from dateparser import DateDataParser
from dateparser.data.languages_info import language_order

__all__ = ["page_language"]

log = logging.getLogger(__name__)

# htmldate's own settings for its parser (htmldate 1.11, extractors.get_external_parser).
_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_KNOWN = frozenset(language_order)
# dateparser ranks its languages by use; a page that declares no language is read in the first
# 40 (down to Hindi: every EU language but Irish and Maltese, Chinese, Japanese, Korean,
# Arabic, ...), which costs about 0.3 s to prepare where all 205 cost several seconds.
_MOST_USED = tuple(language_order[:40])
# None, outside page_language: every locale, as htmldate has it
_LANGUAGES: ContextVar[tuple[str, ...] | None] = ContextVar(
    "newsdedup_date_languages", default=None
)


def languages_for(language: str | None) -> tuple[str, ...]:
    """The dateparser languages tried on a page declaring ``language`` (a primary subtag, as
    ``PageMetadata.language`` holds it)."""
    if language == "en":
        return ("en",)
    if language is not None and language in _KNOWN:
        return (language, "en")
    return _MOST_USED


@contextmanager
def page_language(language: str | None) -> Iterator[None]:
    """Within this block, htmldate's fallback parser reads the dates of ``language`` and English."""
    token = _LANGUAGES.set(languages_for(language))
    try:
        yield
    finally:
        _LANGUAGES.reset(token)


@cache
def _parser(languages: tuple[str, ...] | None) -> DateDataParser:
    return DateDataParser(languages=list(languages) if languages else None, settings=_SETTINGS)


def _page_parser() -> DateDataParser:
    return _parser(_LANGUAGES.get())


if hasattr(htmldate.extractors, "get_external_parser"):
    htmldate.extractors.get_external_parser = _page_parser  # type: ignore[assignment]
else:  # another htmldate: it keeps its own parser, slower to start but as right
    log.debug("htmldate has no get_external_parser; its date parser keeps every locale")
