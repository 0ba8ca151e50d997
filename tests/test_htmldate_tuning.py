"""htmldate as ``pipeline.htmldate_tuning`` sets it up: the fallback parser reads the page's
declared language and English, and no date comes from patterns in the raw markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import htmldate
import htmldate.extractors
import pytest
from lxml import html as lxml_html

from pipeline.extract import parse_html
from pipeline.htmldate_tuning import languages_for, page_dating
from pipeline.metadata import read_metadata

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _fresh_htmldate_cache() -> Iterator[None]:
    """htmldate caches each date string's reading, whatever the page's language."""
    htmldate.extractors.try_date_expr.cache_clear()
    yield
    htmldate.extractors.try_date_expr.cache_clear()


def _published(printed: str, lang: str | None) -> str | None:
    """The date read from a page whose only date is ``printed``, in a block of its own."""
    declared = f' lang="{lang}"' if lang else ""
    prose = "<p>" + "Mieszkańcy portu czekali na otwarcie nabrzeża od wielu miesięcy. " * 6
    html = (
        f"<html{declared}><head><title>Port otwarty po remoncie</title></head><body>"
        f"<h1>Port otwarty po remoncie</h1>{prose}</p><div class='meta'>{printed}</div>"
        f"{prose}</p></body></html>"
    )
    tree = parse_html(html)
    assert tree is not None
    return read_metadata(tree, today=TODAY).published


def test_a_date_only_dateparser_reads_is_read_in_the_declared_language() -> None:
    assert _published("4 marca 2025", "pl") == "2025-03-04"


def test_a_page_declaring_no_language_is_read_in_the_most_used_languages() -> None:
    assert _published("4. maaliskuuta 2025", None) == "2025-03-04"
    assert "fi" in languages_for(None)


def test_a_page_declaring_english_reads_english_dates_only() -> None:
    """The price of not preparing every language: the Polish month is not read."""
    assert _published("5 marca 2025", "en") != "2025-03-05"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("en", ["en"]), ("pl", ["pl", "en"]), ("zh", ["zh", "en"])],
)
def test_the_parser_htmldate_uses_holds_the_page_dating(declared: str, expected: list[str]) -> None:
    with page_dating(declared):
        assert htmldate.extractors.get_external_parser().languages == expected


def test_an_unknown_or_missing_language_gets_the_most_used_ones() -> None:
    assert languages_for("xx") == languages_for(None)
    assert languages_for(None)[:2] == ("en", "ru")
    assert len(languages_for(None)) == 40


def test_outside_a_page_htmldate_keeps_every_locale() -> None:
    with page_dating("pl"):
        pass
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
    tree = parse_html(_archive_links_page())
    assert tree is not None
    assert read_metadata(tree, today=TODAY).published is None
    # the same date written on the page is read
    dated = parse_html(
        lxml_html.tostring(tree, encoding="unicode").replace(
            "</h1>", "</h1><p class='byline'>Published 3 May 2019</p>"
        )
    )
    assert dated is not None
    assert read_metadata(dated, today=TODAY).published == "2019-05-03"


def test_outside_newsdedup_s_own_calls_htmldate_works_as_shipped() -> None:
    """Other code in the process (trafilatura's metadata, a benchmark's baseline) gets
    htmldate's own answers: its markup search and its parser of every locale."""
    tree = lxml_html.fromstring(_archive_links_page())
    assert htmldate.find_date(tree, extensive_search=True) == "2019-05-03"
    with page_dating("en"):
        assert htmldate.find_date(tree, extensive_search=True) is None
    assert htmldate.extractors.get_external_parser().languages is None
