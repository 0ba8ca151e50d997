"""Two changes to htmldate's date search, for newsdedup's own calls.

Both were measured with ``bench/steps.py`` and on the 782 WCXB dev pages whose ground truth
gives a date (``bench/extraction.py``).

1. **Its fallback parser reads the 40 languages dateparser ranks as most used**, not all 205,
   and the language the page declares when that is another one dateparser knows. htmldate
   hands the date strings its own rules cannot read ("4 de março de 2025") to dateparser,
   built with every locale. The first strings no locale reads are tried against all of them,
   and trying a locale compiles its regular expressions on first use: about 2 seconds in
   every new process, more as further strings need further patterns, paid again by every
   worker (scrapinghub/dateparser#457). The 40 (down to Hindi: every EU language but Irish
   and Maltese, Russian, Chinese, Japanese, Korean, Arabic, Persian, Turkish, ...) take under
   a second; a page in Bengali, Malay, Swahili or Tamil adds its own language, compiled once
   per process. The page's language comes after the 40, so a string one of them reads is
   read as before. htmldate caches its readings by the string; newsdedup's readings are
   cached by the string and the page's added language, so a date reads the same whichever
   page meets it first: the output does not depend on the order pages are processed in, nor
   on the number of workers. A date written in a language outside the 40 on a page that does
   not declare it (or declares it in a form dateparser does not know, such as Serbian in
   Latin letters under ``lang="sr"``) is not read by dateparser; htmldate's own rules still
   read English, French, German, Indonesian and Turkish month names.

2. **Its last resort, the most frequent date-like pattern anywhere in the page's HTML, is
   left out.** It runs when nothing on the page is marked or worded as a date, costs about
   70 ms a page (regular expressions over the whole markup), and on the dev pages it decided
   10 dates, 1 of them right: the year in an upload path or a footer is not a publication
   date. Without it such a page has no date, rather than a wrong one.

Both apply only within :func:`newsdedup_dating`, around newsdedup's own call, whose readings
htmldate caches apart from everyone else's: elsewhere in the process (trafilatura's metadata,
say) htmldate works as shipped. Each change is made only when htmldate has the function it
replaces (``extractors.get_external_parser``, ``core.search_page`` and
``extractors.try_date_expr``, htmldate 1.11); another htmldate runs as it is, slower, with
its last resort.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache, update_wrapper
from types import ModuleType
from typing import Any

import htmldate.core
import htmldate.extractors
from dateparser import DateDataParser

__all__ = ["MOST_USED_LANGUAGES", "newsdedup_dating"]

log = logging.getLogger(__name__)

try:
    from dateparser.data.languages_info import language_order
except ImportError:  # another dateparser: every locale, as htmldate has it
    language_order = []

MOST_USED_LANGUAGES: tuple[str, ...] = tuple(language_order[:40])
_OTHER_LANGUAGES = frozenset(language_order[40:])

# htmldate's own settings for its parser (htmldate 1.11, extractors.get_external_parser).
_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_INSIDE: ContextVar[bool] = ContextVar("newsdedup_dating", default=False)
# the page's language, when dateparser knows it and it is not among the 40
_ADDED: ContextVar[str | None] = ContextVar("newsdedup_dating_language", default=None)
_CACHE_SIZE = 8192  # as htmldate's own (settings.CACHE_SIZE)


@contextmanager
def newsdedup_dating(language: str | None = None) -> Iterator[None]:
    """Within this block, htmldate dates pages with both changes made; ``language`` is the
    page's declared language (``"bn"``, ``"ms"``), added to the 40 when dateparser knows it."""
    inside = _INSIDE.set(True)
    added = _ADDED.set(language if language in _OTHER_LANGUAGES else None)
    try:
        yield
    finally:
        _ADDED.reset(added)
        _INSIDE.reset(inside)


def _parser() -> DateDataParser:
    return _parser_with(_ADDED.get())


@cache
def _parser_with(added: str | None) -> DateDataParser:
    languages = list(MOST_USED_LANGUAGES) + ([added] if added else [])
    return DateDataParser(languages=languages or None, settings=_SETTINGS)


def _no_page_search(*args: Any, **kwargs: Any) -> None:
    return None


class _Inside:
    """Stands in for one htmldate function: ``ours`` within :func:`newsdedup_dating`, the
    shipped function elsewhere, called with whatever arguments it is given."""

    def __init__(self, shipped: Callable[..., Any], ours: Callable[..., Any]) -> None:
        update_wrapper(self, shipped)
        self.newsdedup_shipped = shipped
        self.ours = ours

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _INSIDE.get():
            return self.ours(*args, **kwargs)
        return self.newsdedup_shipped(*args, **kwargs)

    def cache_clear(self) -> None:
        """As the lru_cache'd function it stands in for has: both caches."""
        for function in (self.newsdedup_shipped, self.ours):
            getattr(function, "cache_clear", lambda: None)()


def _stand_in(
    modules: tuple[ModuleType, ...], name: str, ours: Callable[[Callable[..., Any]], Any]
) -> None:
    """Put an ``_Inside`` for ``name`` into each module that has htmldate's function by that
    name; ``ours`` makes newsdedup's version from the shipped one."""
    current = getattr(modules[0], name, None)
    if current is None:
        log.debug("htmldate has no %s.%s: it stays as shipped", modules[0].__name__, name)
        return
    # imported again (importlib.reload): wrap what htmldate shipped, not the last stand-in
    shipped = getattr(current, "newsdedup_shipped", current)
    inside = _Inside(shipped, ours(shipped))
    for module in modules:
        if getattr(module, name, None) in (current, shipped):
            setattr(module, name, inside)


class _OwnCache:
    """newsdedup's date readings, cached apart from everyone else's and by the page's added
    language too: htmldate keys its cache by the string and the date bounds only, so a reading
    made with newsdedup's changes would otherwise reach another caller using the same bounds
    (and the other way round), and a reading made with one page's language would reach
    another page."""

    def __init__(self, shipped: Callable[..., Any]) -> None:
        reading = getattr(shipped, "__wrapped__", shipped)
        # the language is part of the key only: ``reading`` meets it through ``_parser``
        self._cached = lru_cache(maxsize=_CACHE_SIZE)(lambda added, *a, **kw: reading(*a, **kw))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cached(_ADDED.get(), *args, **kwargs)

    def cache_clear(self) -> None:
        self._cached.cache_clear()


_stand_in((htmldate.extractors, htmldate.core), "try_date_expr", _OwnCache)
_stand_in((htmldate.extractors,), "get_external_parser", lambda shipped: _parser)
_stand_in((htmldate.core,), "search_page", lambda shipped: _no_page_search)
