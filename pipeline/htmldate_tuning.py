"""Three changes to htmldate's date search, for newsdedup's own calls.

The first two were measured with ``bench/steps.py`` and on the 782 WCXB dev pages whose ground truth
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

3. **A reading must be the day the string writes.** htmldate fills in what a string leaves
   out: "2024-03" or "Posted 2024-03" becomes the 1st of the month, a ``2024-03 10:30`` in
   dateutil's hands takes today's day, a week ``2024-W10`` its Monday, and the copyright year
   in ``<meta itemprop="copyrightYear">`` becomes 1 January; and a string that is no date is
   read as another: ``2024-02-30`` as 2024-02-01, ``2024-13-01`` (month 13) as 13 January.
   A reading is kept only when the string writes its year, its day as a number and its month
   (as a number or a word), and, when the string holds a year-first numeric date
   (``2024-02-30``, ``2024/3/5``), only when the reading is that very date; dateutil's only
   when it does not depend on the default it fills gaps from. The copyright-year reserve is
   left out. A page whose only dates name no day (a year, a month) has no date, rather than
   a made-up day.

All apply only within :func:`newsdedup_dating`, around newsdedup's own call, whose readings
htmldate caches apart from everyone else's: elsewhere in the process (trafilatura's metadata,
say) htmldate works as shipped. Each change is made only when htmldate has the function it
replaces (``extractors.get_external_parser``, ``core.search_page``,
``extractors.try_date_expr``, ``extractors._date_candidates``, ``extractors.dateutil_parse``,
``extractors._external_date`` and ``core.is_valid_date``, htmldate 1.11); another htmldate
runs as it is, slower, with its last resort and its made-up days.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
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


_NUMBER = re.compile(r"\d+")
# a year-first numeric date: its reading is this date or none
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
# dateutil fills what a string leaves out from its default: two defaults apart in every field
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def writes_day(string: str, when: date) -> bool:
    """Whether ``string`` writes the day ``when``: its year (four digits, or the last two),
    its day as a number of its own and its month as another or as a word, and, when the
    string holds a year-first numeric date, that date exactly. A run of eight digits or more
    counts as YYYYMMDD (and the rest) too, as htmldate reads it."""
    head = _YEAR_FIRST.search(string)
    if head is not None:
        return (int(head[1]), int(head[3]), int(head[4])) == (when.year, when.month, when.day)
    numbers: list[int] = []
    for run in _NUMBER.findall(string):
        numbers.append(int(run))
        if len(run) >= 8:
            numbers.extend((int(run[:4]), int(run[4:6]), int(run[6:8])))
    for year in (when.year, when.year % 100):
        if year in numbers:
            numbers.remove(year)
            break
    else:
        return False
    if when.day not in numbers:
        return False
    numbers.remove(when.day)
    return when.month in numbers or _has_word(string)


def _has_word(string: str) -> bool:
    """Whether ``string`` holds two letters in a row (a month's name, in any script: vowel
    signs and other combining marks count as letters)."""
    run = 0
    for char in string:
        run = run + 1 if unicodedata.category(char)[0] in "LM" else 0
        if run == 2:
            return True
    return False


def _whole_dateutil(shipped: Callable[..., datetime]) -> Callable[..., datetime]:
    """dateutil's reading, when the string writes a year, a month and a day: what it leaves
    out (``2024-03``) is not taken from today."""

    def parse(string: str, *args: Any, **kwargs: Any) -> datetime:
        kwargs.pop("default", None)
        first, second = (shipped(string, *args, default=d, **kwargs) for d in _DEFAULTS)
        if first.date() != second.date():
            raise ValueError(f"no day in {string!r}")
        return first

    return parse


def _written_only(shipped: Callable[[str], Iterable[Any]]) -> Callable[[str], Iterator[Any]]:
    """htmldate's candidate readings of a string, less those that are not the day it writes
    (``None``, a step that read nothing, is passed on as htmldate gives it)."""

    def candidates(string: str) -> Iterator[Any]:
        for candidate in shipped(string):
            if candidate is None or writes_day(string, candidate):
                yield candidate

    return candidates


def _written_external(shipped: Callable[[str], Any]) -> Callable[[str], Any]:
    """The fallback parser's reading of a string, when it is the day the string writes."""

    def reading(string: str) -> Any:
        found = shipped(string)
        return found if found is None or writes_day(string, found) else None

    return reading


def _no_year_reserve(*args: Any, **kwargs: Any) -> bool:
    """For ``core.is_valid_date``, which htmldate 1.11's core calls only to keep a copyright
    year as 1 January (``examine_header``) and in ``search_page`` (left out)."""
    return False


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
_stand_in((htmldate.extractors,), "_date_candidates", _written_only)
_stand_in((htmldate.extractors,), "dateutil_parse", _whole_dateutil)
_stand_in((htmldate.extractors,), "_external_date", _written_external)
_stand_in((htmldate.core,), "is_valid_date", lambda shipped: _no_year_reserve)
