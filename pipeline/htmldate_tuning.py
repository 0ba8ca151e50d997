"""Two changes to htmldate's date search, for newsdedup's own calls.

Both were measured with ``bench/steps.py`` and on the 782 WCXB dev pages whose ground truth
gives a date (``bench/extraction.py``).

1. **Its fallback parser reads the 40 languages dateparser ranks as most used**, not all 205.
   htmldate hands the date strings its own rules cannot read ("4 de março de 2025") to
   dateparser, built with every locale. The first strings no locale reads are tried against
   all of them, and trying a locale compiles its regular expressions on first use: about 2
   seconds in every new process, more as further strings need further patterns, paid again
   by every worker (scrapinghub/dateparser#457). The 40 (down to Hindi: every EU language but
   Irish and Maltese, Russian, Chinese, Japanese, Korean, Arabic, Persian, Turkish, ...) take
   under a second. The set is the same for every page, so a date string reads the same
   whichever page meets it first: htmldate caches its readings by the string, and the output
   must not depend on the order pages are processed in, nor on the number of workers. Dates
   written only in a language outside the 40 (or in a script variant such as Serbian in
   Latin letters) are no longer read by dateparser; htmldate's own rules still read English,
   French, German, Indonesian and Turkish month names.

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
_CACHE_SIZE = 8192  # as htmldate's own (settings.CACHE_SIZE)


@contextmanager
def newsdedup_dating() -> Iterator[None]:
    """Within this block, htmldate dates pages with both changes made."""
    token = _INSIDE.set(True)
    try:
        yield
    finally:
        _INSIDE.reset(token)


@cache
def _parser() -> DateDataParser:
    return DateDataParser(languages=list(MOST_USED_LANGUAGES) or None, settings=_SETTINGS)


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


def _own_cache(shipped: Callable[..., Any]) -> Callable[..., Any]:
    """newsdedup's date readings, cached apart from everyone else's: htmldate keys its cache
    by the string and the date bounds only, so a reading made with newsdedup's changes would
    otherwise reach another caller using the same bounds, and the other way round."""
    return lru_cache(maxsize=_CACHE_SIZE)(getattr(shipped, "__wrapped__", shipped))


_stand_in((htmldate.extractors, htmldate.core), "try_date_expr", _own_cache)
_stand_in((htmldate.extractors,), "get_external_parser", lambda shipped: _parser)
_stand_in((htmldate.core,), "search_page", lambda shipped: _no_page_search)
