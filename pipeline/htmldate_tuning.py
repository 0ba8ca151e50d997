"""Two changes to htmldate's date search, for newsdedup's own calls.

Both were measured with ``bench/steps.py`` and on the 782 WCXB dev pages whose ground truth
gives a date (``bench/extraction.py``).

1. **Its fallback parser reads the page's language and English only.** htmldate hands the
   date strings its own rules cannot read ("4 de março de 2025") to dateparser, built with
   every locale dateparser knows (about 200). The first string no locale reads is tried
   against all of them, and trying a locale compiles its regular expressions: several seconds
   in every new process, paid again by every worker. Within :func:`page_dating` the parser is
   built for the page's declared language and English; a page that declares none, or one dateparser
   does not know, gets the 40 languages dateparser ranks as most used. The dates are the same
   on all 782 pages; htmldate's time per call fell from about 22 ms to 10 ms.

   A page that declares the wrong language (a theme's ``lang="en"`` on a Polish site) loses
   the dates only dateparser reads; htmldate's own rules still read the common French,
   German, Spanish and Turkish forms. htmldate caches what it parses by the string alone, so
   a string met first on a page in another language keeps that page's reading; the very same
   date string on pages in two languages is rare enough to leave it.

2. **Its last resort, the most frequent date-like pattern anywhere in the page's HTML, is
   left out.** It runs when nothing on the page is marked or worded as a date, costs about
   70 ms a page (regular expressions over the whole markup), and on the dev pages it decided
   10 dates, 1 of them right: the year in an upload path or a footer is not a publication
   date. Without it such a page has no date, rather than a wrong one.

Both apply only within :func:`page_dating`, around newsdedup's own call: elsewhere in the
process (trafilatura's metadata, say) htmldate works as shipped. Each change is made only when
htmldate has the function it replaces (htmldate 1.11); another htmldate runs as it is, slower,
with its last resort.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import htmldate.core
import htmldate.extractors
from dateparser import DateDataParser
from dateparser.data.languages_info import language_order
from htmldate.utils import Extractor

__all__ = ["languages_for", "page_dating"]

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
# The languages of the page being dated; None outside page_dating, where htmldate works as
# shipped (for other code in the process, such as trafilatura's own metadata).
_LANGUAGES: ContextVar[tuple[str, ...] | None] = ContextVar(
    "newsdedup_date_languages", default=None
)

_SHIPPED_PARSER: Callable[[], DateDataParser] | None = getattr(
    htmldate.extractors, "get_external_parser", None
)
_SHIPPED_PAGE_SEARCH: Callable[[str, Extractor], str | None] | None = getattr(
    htmldate.core, "search_page", None
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
def page_dating(language: str | None) -> Iterator[None]:
    """Within this block, htmldate dates a page in ``language`` with both changes made."""
    token = _LANGUAGES.set(languages_for(language))
    try:
        yield
    finally:
        _LANGUAGES.reset(token)


@cache
def _parser(languages: tuple[str, ...]) -> DateDataParser:
    return DateDataParser(languages=list(languages), settings=_SETTINGS)


def _external_parser() -> DateDataParser:
    languages = _LANGUAGES.get()
    if languages is None and _SHIPPED_PARSER is not None:
        return _SHIPPED_PARSER()
    return _parser(languages or _MOST_USED)


def _search_page(htmlstring: str, options: Extractor) -> str | None:
    if _LANGUAGES.get() is None and _SHIPPED_PAGE_SEARCH is not None:
        return _SHIPPED_PAGE_SEARCH(htmlstring, options)
    return None


if _SHIPPED_PARSER is not None:
    htmldate.extractors.get_external_parser = _external_parser  # type: ignore[assignment]
else:
    log.debug("htmldate has no get_external_parser; its date parser keeps every locale")
if _SHIPPED_PAGE_SEARCH is not None:
    htmldate.core.search_page = _search_page
else:
    log.debug("htmldate has no search_page; its search of the page's markup stays")
