"""htmldate as ``pipeline.htmldate_tuning`` sets it up for newsdedup's own calls: the fallback
parser reads the 40 most used languages, and no date comes from patterns in the raw markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import htmldate
import htmldate.core
import htmldate.extractors
import pytest
from lxml import html as lxml_html

import pipeline.htmldate_tuning as tuning
from pipeline.extract import parse_html
from pipeline.htmldate_tuning import MOST_USED_LANGUAGES, newsdedup_dating
from pipeline.metadata import read_metadata

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _fresh_htmldate_cache() -> Iterator[None]:
    """htmldate caches each date string's reading: each test starts from none."""
    htmldate.extractors.try_date_expr.cache_clear()
    yield
    htmldate.extractors.try_date_expr.cache_clear()


def _page(printed: str, lang: str | None) -> str:
    """A page whose only date is ``printed``, in a block of its own."""
    declared = f' lang="{lang}"' if lang else ""
    prose = "<p>" + "Mieszkańcy portu czekali na otwarcie nabrzeża od wielu miesięcy. " * 6
    return (
        f"<html{declared}><head><title>Port otwarty po remoncie</title></head><body>"
        f"<h1>Port otwarty po remoncie</h1>{prose}</p><div class='meta'>{printed}</div>"
        f"{prose}</p></body></html>"
    )


def _published(html: str) -> str | None:
    tree = parse_html(html)
    assert tree is not None
    return read_metadata(tree, today=TODAY).published


def test_a_date_only_dateparser_reads_is_read() -> None:
    assert _published(_page("4 marca 2025", "pl")) == "2025-03-04"
    assert _published(_page("4. maaliskuuta 2025", None)) == "2025-03-04"


def test_a_date_reads_the_same_whichever_page_meets_it_first() -> None:
    """htmldate caches a string's reading: the same string on a page declaring English and on
    one declaring Polish reads the same in either order, so the output cannot depend on the
    order pages come in, or on the number of workers."""
    pages = [_page("5 marca 2025", "en"), _page("5 marca 2025", "pl")]
    first = [_published(p) for p in pages]
    htmldate.extractors.try_date_expr.cache_clear()
    second = [_published(p) for p in reversed(pages)][::-1]
    assert first == second == ["2025-03-05", "2025-03-05"]


def test_a_page_s_own_language_is_read_beyond_the_40() -> None:
    """Bengali, Malay, Swahili and Tamil are not among the 40: a page declaring one has its
    dates read in it; an undeclared page has not."""
    for lang, printed in [
        ("bn", "১২ মার্চ ২০২৪"),
        ("ms", "12 Mac 2024"),
        ("sw", "12 Machi 2024"),
        ("ta", "12 மார்ச் 2024"),
    ]:
        assert lang not in MOST_USED_LANGUAGES
        assert _published(_page(printed, lang)) == "2024-03-12", lang
        assert _published(_page(printed, None)) is None, lang


def test_a_reading_in_a_page_s_own_language_does_not_reach_other_pages() -> None:
    """Readings are cached by the string and the page's added language: a Malay date reads
    the same on a Malay page and an undeclared one whichever comes first."""
    pages = [_page("7 Mac 2024", "ms"), _page("7 Mac 2024", None)]
    first = [_published(p) for p in pages]
    htmldate.extractors.try_date_expr.cache_clear()
    second = [_published(p) for p in reversed(pages)][::-1]
    assert first == second == ["2024-03-07", None]


def test_the_parser_holds_the_most_used_languages_only_inside() -> None:
    assert len(MOST_USED_LANGUAGES) == 40
    assert MOST_USED_LANGUAGES[:2] == ("en", "ru")
    assert {"pl", "fi", "zh", "ar"} <= set(MOST_USED_LANGUAGES)
    with newsdedup_dating():
        assert htmldate.extractors.get_external_parser().languages == list(MOST_USED_LANGUAGES)
    with newsdedup_dating("bn"):
        languages = htmldate.extractors.get_external_parser().languages
        assert languages == [*MOST_USED_LANGUAGES, "bn"]
    with newsdedup_dating("pl"):  # among the 40 already
        assert htmldate.extractors.get_external_parser().languages == list(MOST_USED_LANGUAGES)
    # elsewhere in the process: htmldate's own parser, of every locale
    assert htmldate.extractors.get_external_parser().languages is None


def _archive_links_page() -> str:
    links = "".join(f"<a href='/archive/2019-05-03/{n}'>Earlier story</a> " for n in "abc")
    return (
        "<html lang='en'><head><title>Harbour reopens after repairs</title></head><body>"
        "<h1>Harbour reopens after repairs</h1>"
        + "<p>The harbour reopened to ships this week after months of works.</p>" * 5
        + f"<div>{links}</div></body></html>"
    )


def test_a_date_pattern_only_in_the_markup_gives_no_date() -> None:
    """Links into a dated archive are no publication date: htmldate's search of the raw
    markup, which would take the most frequent one, is left out."""
    assert _published(_archive_links_page()) is None
    # the same date written on the page is read
    dated = _archive_links_page().replace(
        "</h1>", "</h1><p class='byline'>Published 3 May 2019</p>"
    )
    assert _published(dated) == "2019-05-03"


def test_outside_newsdedup_s_own_calls_htmldate_works_as_shipped() -> None:
    """Other code in the process (trafilatura's metadata, a benchmark's baseline) gets
    htmldate's own answers, from functions that take what htmldate passes them."""
    tree = lxml_html.fromstring(_archive_links_page())
    assert htmldate.find_date(tree, extensive_search=True) == "2019-05-03"
    with newsdedup_dating():
        assert htmldate.find_date(tree, extensive_search=True) is None
    # the stand-ins keep the shipped function's cache_clear, which htmldate's callers may use
    htmldate.extractors.get_external_parser.cache_clear()
    assert htmldate.extractors.get_external_parser().languages is None


def test_standing_in_again_wraps_htmldate_s_own_functions() -> None:
    """Run twice (the module imported again), the stand-ins wrap what htmldate shipped, not
    the stand-ins before them, which would call themselves."""
    shipped = htmldate.core.search_page.newsdedup_shipped  # type: ignore[attr-defined]
    parse = htmldate.extractors.try_date_expr.newsdedup_shipped  # type: ignore[attr-defined]
    tuning._stand_in((htmldate.core,), "search_page", lambda shipped: tuning._no_page_search)
    tuning._stand_in((htmldate.extractors, htmldate.core), "try_date_expr", tuning._OwnCache)
    assert htmldate.core.search_page.newsdedup_shipped is shipped  # type: ignore[attr-defined]
    assert htmldate.core.try_date_expr is htmldate.extractors.try_date_expr
    assert htmldate.core.try_date_expr.newsdedup_shipped is parse  # type: ignore[attr-defined]
    tree = lxml_html.fromstring(_archive_links_page())
    assert htmldate.find_date(tree, extensive_search=True) == "2019-05-03"


def test_a_stand_in_passes_on_keyword_arguments() -> None:
    def shipped(a: int, *, b: int = 0) -> str:
        return f"shipped {a} {b}"

    def ours(a: int, *, b: int = 0) -> str:
        return f"ours {a} {b}"

    stand_in = tuning._Inside(shipped, ours)
    assert stand_in(1, b=2) == "shipped 1 2"
    with newsdedup_dating():
        assert stand_in(a=1, b=3) == "ours 1 3"
    assert stand_in.__name__ == "shipped"


def test_newsdedup_s_readings_are_cached_apart_from_other_callers() -> None:
    """htmldate caches readings by the string and the date bounds: a caller outside newsdedup
    using newsdedup's bounds gets htmldate's own reading whichever of the two came first.
    Irish is not among the 40 languages, and the page does not declare it; htmldate's own
    parser reads it."""
    html = _page("5 Márta 2025", None)
    bounds = {"min_date": "1990-01-01", "max_date": "2026-12-08"}

    def outside() -> str | None:
        found: str | None = htmldate.find_date(
            lxml_html.fromstring(html), extensive_search=True, original_date=True, **bounds
        )
        return found

    alone_inside, alone_outside = _published(html), outside()
    htmldate.extractors.try_date_expr.cache_clear()
    assert (outside(), _published(html)) == (alone_outside, alone_inside)
    assert alone_outside == "2025-03-05" and alone_inside != "2025-03-05"


@pytest.mark.parametrize(
    ("printed", "shipped"),
    [
        ("2024-02-30", "2024-02-01"),  # no such day: htmldate takes the month
        ("2024-13-01", "2024-01-13"),  # no month 13: dateutil swaps day and month
        ("Posted 2024-03", "2024-03-01"),  # a month: its 1st
        ("2024-W10", "2024-03-04"),  # a week: its Monday
    ],
)
def test_a_string_is_read_as_the_day_it_writes_or_not_at_all(printed: str, shipped: str) -> None:
    """htmldate as shipped makes these into days; within newsdedup's calls they are none,
    and the page, with no other date, has none."""
    html = _page(printed, "en").replace("<div class='meta'>", "<div class='date'>")
    tree = lxml_html.fromstring(html)
    bounds = {"min_date": "1990-01-01", "max_date": "2026-12-08"}
    assert htmldate.find_date(tree, original_date=True, **bounds) == shipped
    with newsdedup_dating("en"):
        assert htmldate.find_date(tree, original_date=True, **bounds) is None
    assert _published(html) is None


def test_a_copyright_year_is_no_publication_day() -> None:
    html = _page("", "en").replace(
        "</title>", "</title><meta itemprop='copyrightYear' content='2023'>"
    )
    tree = lxml_html.fromstring(html)
    assert htmldate.find_date(tree, original_date=True) == "2023-01-01"
    assert _published(html) is None


@pytest.mark.parametrize(
    ("string", "when", "written"),
    [
        ("2024-03-05", date(2024, 3, 5), True),
        ("Posted 2024/3/5 10:00", date(2024, 3, 5), True),
        ("20240305", date(2024, 3, 5), True),
        ("201709011234", date(2017, 9, 1), True),
        ("5 March 2024", date(2024, 3, 5), True),
        ("March 5th, 2024", date(2024, 3, 5), True),
        ("05/03/24", date(2024, 3, 5), True),
        ("01/13/2024", date(2024, 1, 13), True),  # month first
        ("2025年3月4日", date(2025, 3, 4), True),
        ("4 de março de 2025", date(2025, 3, 4), True),
        ("2024-02-30", date(2024, 2, 1), False),
        ("2024-13-01", date(2024, 1, 13), False),
        ("2024-03", date(2024, 3, 1), False),
        ("2024-03", date(2024, 3, 3), False),  # the 3 is the month, not the day too
        ("March 2024", date(2024, 3, 7), False),
        ("2024-W10", date(2024, 3, 4), False),
        ("2024", date(2024, 1, 1), False),
        ("5 March", date(2024, 3, 5), False),
    ],
)
def test_writes_day(string: str, when: date, written: bool) -> None:
    assert tuning.writes_day(string, when) is written


def test_htmldate_s_core_checks_a_date_only_where_newsdedup_expects() -> None:
    """``core.is_valid_date`` stands in refusing everything: htmldate's core calls it only for
    the copyright-year reserve and in the markup search newsdedup leaves out. A core that calls
    it elsewhere would lose those dates in newsdedup's calls: this test says so first."""

    def names(function: object) -> tuple[str, ...]:
        """The global names a function of htmldate's core uses (none for another module's)."""
        function = getattr(function, "newsdedup_shipped", function)
        code = getattr(function, "__code__", None)
        if code is None or getattr(function, "__module__", None) != "htmldate.core":
            return ()
        return tuple(code.co_names)

    callers = {
        n for n, function in vars(htmldate.core).items() if "is_valid_date" in names(function)
    }
    assert callers == {"examine_header", "search_page"}


def test_dateutil_s_reading_does_not_take_today_s_day() -> None:
    """A year and a month with a time: dateutil takes the missing day from today."""
    shipped = htmldate.extractors.dateutil_parse("2024-03 10:30")
    assert (shipped.year, shipped.month) == (2024, 3)
    with newsdedup_dating(), pytest.raises(ValueError, match="no day"):
        htmldate.extractors.dateutil_parse("2024-03 10:30")
    with newsdedup_dating():
        whole = htmldate.extractors.dateutil_parse("2024-03-05 10:30 +01:00")
    assert (whole.date(), whole.hour) == (date(2024, 3, 5), 10)
