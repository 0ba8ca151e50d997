"""The extract step on real saved pages: main text, what must stay out, metadata, fallbacks."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import trafilatura
from boilerpy3 import extractors as boilerpy3_extractors
from boilerpy3 import parser as boilerpy3_parser
from lxml import html as lxml_html

import pipeline.extract
from pipeline.config import CleanConfig
from pipeline.document import Document, make_id
from pipeline.errors import Drop
from pipeline.extract import _dedup_paragraphs, _text_room, extract, parse_html
from pipeline.loaders import document_from_html
from pipeline.metadata import parse_date, read_metadata, strip_site_name
from pipeline.prune import prune_chrome

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
DATED = Path(__file__).resolve().parent / "fixtures" / "dates"
CFG = CleanConfig()
WCXB = sorted(p.name.removesuffix(".html.gz") for p in PAGES.glob("wcxb-*.html.gz"))
WIRE = sorted(p.name.removesuffix(".html.gz") for p in PAGES.glob("wire-*.html.gz"))
# A page whose body shows no text at all: nothing for either extractor to find.
EMPTY_PAGE = (
    "<html><head><title>Gallery</title></head><body><img src='a.jpg' alt=''>"
    "<script>var gallery = 1;</script></body></html>"
)


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings are once per process; start this test as a fresh process would."""
    monkeypatch.setattr(pipeline.extract._warn_once, "seen", set())


def load(name: str) -> tuple[str, dict[str, Any]]:
    html = gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()).decode("utf-8")
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return html, expected


def extracted(name: str, url: str | None = None) -> Document:
    html, _ = load(name)
    return extract(document_from_html(html, source=name, url=url), CFG)


def flat(text: str) -> str:
    return " ".join(text.split()).lower()


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>"


def paragraphs(n: int, topic: str) -> str:
    return "".join(
        f"<p>Paragraph {i} about {topic} runs long enough to read as prose, with several clauses, "
        f"a named place, a number like {i * 7}, and a closing remark for good measure.</p>"
        for i in range(n)
    )


# --- saved pages -------------------------------------------------------------------------------


def test_fixtures_are_present() -> None:
    assert len(WCXB) >= 5 and len(WIRE) >= 2


@pytest.mark.parametrize("name", WCXB)
def test_saved_page_keeps_the_article_and_drops_the_chrome(name: str) -> None:
    _, expected = load(name)
    text = flat(extracted(name).text)
    if name != "wcxb-4111":  # the page trafilatura cannot read; see the fallback test
        for snippet in expected["must_contain"]:
            assert flat(snippet) in text, snippet
    for snippet in expected["must_not_contain"] + expected.get("comments", []):
        assert flat(snippet) not in text, snippet


@pytest.mark.parametrize("name", ["wcxb-4622", "wcxb-4456"])
def test_reader_comments_do_not_leak(name: str) -> None:
    html, expected = load(name)
    # the comments really are on the page, so their absence below means something
    visible = flat(lxml_html.fromstring(html).text_content())
    assert expected["comments"]
    assert all(flat(c) in visible for c in expected["comments"])
    text = flat(extracted(name).text)
    assert not [c for c in expected["comments"] if flat(c) in text]


@pytest.mark.parametrize("name", WIRE)
def test_wire_page_body_recovered_without_comments_or_widgets(name: str) -> None:
    _, expected = load(name)
    doc = extracted(name)
    text = flat(doc.text)
    for para in expected["text"].split("\n\n"):
        assert flat(para) in text, para
    for line in expected["comments"] + expected["chrome"]:
        assert flat(line) not in text, line
    assert doc.url == expected["url"]
    assert doc.title == expected["title"]
    assert doc.published == expected["published"][:10]


# --- fallback and failure ----------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_warnings")
def test_boilerpy3_takes_over_when_trafilatura_finds_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    html, expected = load("wcxb-4111")
    # the premise: trafilatura alone gives up on this page
    assert trafilatura.extract(html, include_comments=False) is None
    with caplog.at_level(logging.WARNING, logger="pipeline.extract"):
        doc = extract(document_from_html(html, source="wcxb-4111", url=None), CFG)
    assert len(doc.text.split()) > 200
    # the page's own words (boilerpy3 may split a word at an inline tag: "Br ands")
    visible = Counter(words(lxml_html.fromstring(html).text_content()).split())
    found = Counter(words(doc.text).split())
    assert sum((found & visible).values()) >= 0.9 * sum(found.values())
    assert not [s for s in expected["must_not_contain"] if flat(s) in flat(doc.text)]
    assert any("boilerpy3" in r.getMessage() for r in caplog.records)


def test_scripts_and_styles_go_before_extraction_but_json_ld_stays() -> None:
    tree = parse_html(
        page(
            "<p>Before<script>var a = '<p>not text</p>';</script> the storm<style>p{}</style>"
            " came.</p><script type='module'>load()</script><script src='x.js'></script>"
            '<script type=\' Application/LD+JSON \'>{"@type": "NewsArticle"}</script>',
            "<style>body{}</style><script>track()</script>",
        )
    )
    assert tree is not None
    pipeline.extract._drop_code(tree)
    assert [el.tag for el in tree.iter("script", "style")] == ["script"]
    assert tree.find(".//script").get("type").strip().lower() == "application/ld+json"
    assert tree.find(".//p").text_content() == "Before the storm came."


def test_an_article_only_in_its_json_ld_is_found() -> None:
    """A page drawn by a script: the text is in the JSON-LD ``articleBody`` only, which
    trafilatura's last resort reads, so it must survive the removal of scripts."""
    body = " ".join(
        f"Report {i} from the harbour says what the pilots saw at dawn." for i in range(30)
    )
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": body}
    html = page(
        "<div id='app'></div><script>render()</script>",
        f"<title>Harbour</title><script type='application/ld+json'>{json.dumps(ld)}</script>",
    )
    doc = extract(document_from_html(html, source="app", url=None), CFG)
    assert words(doc.text) == words(body)


@pytest.mark.parametrize("name", [*WCXB, *WIRE])
def test_removing_scripts_and_styles_leaves_the_text_as_it_was(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    html, _ = load(name)
    code_removed = extract(document_from_html(html, source=name, url=None), CFG)
    monkeypatch.setattr(pipeline.extract, "_drop_code", lambda tree: None)
    code_kept = extract(document_from_html(html, source=name, url=None), CFG)
    assert code_removed.text == code_kept.text
    assert len(code_removed.text.split()) > 100


# Markup whose written form differs from its tree: void elements (no end tag written), a void
# element the parser gave content to (libxml2 does not know <source> as void), an empty <li>
# (written without its end tag), a comment between paragraphs.
_TAG_STREAM_PAGE = page(
    "<h1>Bridges of the river</h1><div class='story'><p>The old bridge opened in 1901, and"
    " it carried trams for sixty years<br>before the road was widened.<img src='a.jpg'></p>"
    "<!-- ad slot --><p>Engineers inspected the <b>steel</b> arches every spring, and the"
    " city council paid for new paint in 1987 after a long debate.</p><ul><li></li>"
    "<li>Read more</li></ul><video><source src='v.mp4'><p>A film of the opening day shows"
    " crowds on both banks of the river, waving flags at the first tram.</p></video>"
    "<p>Today the bridge carries cyclists and walkers, and its lamps are lit at dusk.<hr>"
    "</p></div>",
    "<title>Bridges of the river</title>",
)


@pytest.mark.parametrize("name", [*WCXB, *WIRE, "tag-stream"])
def test_boilerpy3_reads_the_parsed_tree_as_it_reads_the_page(name: str) -> None:
    """boilerpy3 is fed start tags, text and end tags from the tree the page was parsed into;
    it finds the same text as when given the page written out, which it parses itself."""
    html = _TAG_STREAM_PAGE if name == "tag-stream" else load(name)[0]
    tree = parse_html(html)
    assert tree is not None
    prune_chrome(tree)
    written = lxml_html.tostring(tree, encoding="unicode")
    expected = boilerpy3_extractors.ArticleExtractor(raise_on_failure=True).get_content(written)
    assert len(expected.split()) > 20
    assert pipeline.extract._boilerpy3_article(tree) == expected


@pytest.mark.usefixtures("fresh_warnings")
def test_whatever_boilerpy3_fails_with_the_page_is_not_lost_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """boilerpy3's handlers are called directly: an error of any kind in them is boilerpy3
    finding nothing, not a failure of the page."""

    def broken(self: object, tag: str) -> None:
        raise KeyError(tag)

    monkeypatch.setattr(boilerpy3_parser.BoilerpipeHTMLParser, "handle_endtag", broken)
    # trafilatura finds nothing on this page, so boilerpy3 is all there is: a counted drop
    html, _ = load("wcxb-4111")
    with pytest.raises(Drop) as dropped:
        extract(document_from_html(html, source="wcxb-4111", url=None), CFG)
    assert dropped.value.reason == "extract_failed"
    # where trafilatura found text, boilerpy3 adds none (and the page keeps trafilatura's)
    tree = parse_html(_TAG_STREAM_PAGE)
    assert tree is not None
    assert pipeline.extract._boilerpy3_text(tree, Document(id="x", source="x", text="")) == ""


@pytest.mark.usefixtures("fresh_warnings")
def test_nothing_to_extract_is_a_drop_that_the_run_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Each page is a drop naming it; the run logs the first of each reason (once per run,
    not once per worker process): extraction itself warns of none."""
    with caplog.at_level(logging.WARNING, logger="pipeline.extract"):
        for i in range(3):
            doc = document_from_html(EMPTY_PAGE + f"<!-- {i} -->", source=f"empty-{i}", url=None)
            with pytest.raises(Drop) as info:
                extract(doc, CFG)
            assert info.value.reason == "extract_failed"
            assert info.value.source == f"empty-{i}"
            assert info.value.detail == "no main text found"
    assert not [r for r in caplog.records if r.name == "pipeline.extract"]


def test_plain_text_document_is_left_alone() -> None:
    doc = Document(id="t1", source="note.txt", text="Some plain text.")
    assert extract(doc, CFG) is doc


# --- urls and ids ------------------------------------------------------------------------------


def test_canonical_url_becomes_url_and_id() -> None:
    _, expected = load("wcxb-0414")
    doc = extracted("wcxb-0414")
    assert doc.url is not None and doc.url.rstrip("/") == expected["url"].rstrip("/")
    assert doc.id == make_id(doc.url)


def test_known_url_is_kept() -> None:
    doc = extracted("wcxb-0414", url="https://mirror.example/zig")
    assert doc.url == "https://mirror.example/zig"
    assert doc.id == make_id("https://mirror.example/zig")


def test_page_without_canonical_keeps_content_id() -> None:
    html, _ = load("wcxb-0482")
    before = document_from_html(html, source="wcxb-0482", url=None)
    after = extract(before, CFG)
    assert after.url is None and after.id == before.id


@pytest.mark.parametrize(
    "href",
    [
        "/relative/path",
        "mailto:desk@example.org",
        "ftp://x.example/a",
        "http://x.example:abc/a",  # a port that is not a number
        "http://[::1/a",  # a broken IPv6 host
    ],
)
def test_only_absolute_http_canonical_is_used(href: str) -> None:
    html = page(paragraphs(4, "harbours"), f"<link rel='canonical' href='{href}'>")
    doc = extract(document_from_html(html, source="inline", url=None), CFG)
    assert doc.url is None


# --- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wcxb-0414", "wcxb-4451", "wcxb-4622", "wcxb-0482"])
def test_title_and_date_agree_with_ground_truth(name: str) -> None:
    _, expected = load(name)
    doc = extracted(name)
    assert doc.title == expected["title"]
    assert doc.published == expected["published"]


def test_metadata_fields() -> None:
    doc = extracted("wcxb-0414")
    assert doc.title == "Thoughts on Zig"
    assert doc.author == "Sam Bossley"
    assert doc.sitename == "Sam Bossley"
    assert doc.language == "en"
    assert doc.published == "2025-08-29"


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        ("Thoughts on Zig | Sam Bossley", ["Sam Bossley"], "Thoughts on Zig"),
        ("12 DIY Woodworking Projects - Erin Spain", [], "12 DIY Woodworking Projects"),
        (
            "The Daily Planet — Storm floods the harbour",
            ["The Daily Planet"],
            "Storm floods the harbour",
        ),
        ("Rates rise again: what it means for you", [], "Rates rise again: what it means for you"),
        ("Twenty-five years of the euro - a long look back at a young currency", [], None),
    ],
)
def test_site_name_suffix_removed(title: str, sites: list[str], expected: str | None) -> None:
    assert strip_site_name(title, sites) == (expected or title)


def test_title_from_meta_when_page_has_no_headline() -> None:
    head = "<title>Storm floods the harbour | The Daily Planet</title>"
    head += "<meta property='og:site_name' content='The Daily Planet'>"
    doc = extract(
        document_from_html(page(paragraphs(4, "storms"), head), source="x", url=None), CFG
    )
    assert doc.title == "Storm floods the harbour"
    assert doc.sitename == "The Daily Planet"


def test_site_logo_h1_is_not_the_title() -> None:
    head = "<title>Storm floods the harbour | The Daily Planet</title>"
    body = "<header><h1><a href='/'>The Daily Planet</a></h1></header>"
    body += "<article><h1>Storm floods the harbour</h1>" + paragraphs(4, "storms") + "</article>"
    doc = extract(document_from_html(page(body, head), source="x", url=None), CFG)
    assert doc.title == "Storm floods the harbour"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-07T10:00:00+01:00", date(2024, 3, 7)),
        ("March 7, 2024", date(2024, 3, 7)),
        ("7 March 2024", date(2024, 3, 7)),
        ("Thu, 03/07/2024 - 11:38", date(2024, 3, 7)),
        ("13/03/2024 09:21", date(2024, 3, 13)),
        ("07.03.2024", date(2024, 3, 7)),
        ("no date here", None),
        ("2024-02-30", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


_META = '<meta property="article:published_time" content="{}">'


@pytest.mark.parametrize(
    ("head", "byline", "expected"),
    [
        (_META.format("2024-02-29"), "", "2024-02-29"),  # a leap day: a real one
        # no calendar day: not the 1st of the month, nor day and month swapped
        (_META.format("2024-02-30"), "", None),
        (_META.format("2023-02-29"), "", None),
        (_META.format("2024-13-01"), "", None),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour '
            'reopens after repairs", "datePublished": "2024-02-30T10:00:00+01:00"}</script>',
            "",
            None,
        ),
        # a month, a week or a year only: no day to report
        (
            "",
            '<p class="byline">By A. Writer, <time datetime="2024-03">March 2024</time></p>',
            None,
        ),
        ("", '<div class="date">Posted 2024-03</div>', None),
        ("", '<div class="date">2024-W10</div>', None),
        ('<meta itemprop="copyrightYear" content="2023">', "", None),
    ],
)
def test_a_date_that_is_no_calendar_day_is_not_made_into_one(
    head: str, byline: str, expected: str | None
) -> None:
    html = (DATED / "harbour.html").read_text(encoding="utf-8")
    html = html.replace("<!-- head -->", head).replace("<!-- byline -->", byline)
    doc = extract(document_from_html(html, source="harbour.html", url=None), CFG)
    assert doc.published == expected


def _dated_page(published: str, modified: str | None = None, byline: str | None = None) -> str:
    """An article whose JSON-LD gives ``published`` (and ``modified``), with ``byline`` printed
    after the author's name under the headline."""
    ld: dict[str, str] = {
        "@type": "NewsArticle",
        "headline": "Harbour reopens",
        "datePublished": published,
    }
    if modified is not None:
        ld["dateModified"] = modified
    head = (
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        "<title>Harbour reopens</title>"
    )
    by = "By A. Writer" + (f" | {byline}" if byline else "")
    body = f"<h1>Harbour reopens</h1><p class='byline'>{by}</p>" + paragraphs(4, "harbours")
    return page(body, head)


@pytest.mark.parametrize("published", ["2999-01-01T00:00:00Z", "1901-05-05"])
def test_future_and_absurdly_old_dates_are_ignored(published: str) -> None:
    tree = parse_html(_dated_page(published))
    assert tree is not None
    meta = read_metadata(tree, today=date(2026, 1, 1))
    assert meta.published is None or meta.published <= "2026-01-02"
    assert meta.published is None or meta.published >= "1990-01-01"


def test_byline_date_under_the_headline() -> None:
    head = "<title>Harbour reopens</title>"
    body = "<header><span>Today: January 3, 2026</span></header>"
    body += "<h1>Harbour reopens</h1><p>By A. Writer | March 4, 2025</p>" + paragraphs(
        4, "harbours"
    )
    tree = parse_html(page(body, head))
    assert tree is not None
    assert read_metadata(tree, today=date(2026, 1, 3)).published == "2025-03-04"


def test_a_lone_byline_date_is_taken_without_the_costly_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No structured publication date and one date printed under the headline: htmldate's
    estimate cannot change the answer, so it is not asked for."""
    calls: list[object] = []
    monkeypatch.setattr(
        "pipeline.metadata.htmldate.find_date", lambda *a, **k: calls.append(a) or "2024-01-01"
    )
    head = "<title>Harbour reopens</title>"
    body = "<h1>Harbour reopens</h1><p>By A. Writer | March 4, 2025</p>" + paragraphs(4, "port")
    tree = parse_html(page(body, head))
    assert tree is not None
    assert read_metadata(tree, today=date(2026, 1, 3)).published == "2025-03-04"
    assert calls == []
    # two different byline dates: the estimate decides between them, so it is asked for
    body = body.replace("March 4, 2025", "March 4, 2025 · Updated January 1, 2024")
    tree = parse_html(page(body, head))
    assert tree is not None
    assert read_metadata(tree, today=date(2026, 1, 3)).published == "2024-01-01"
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("published", "modified", "byline", "expected"),
    [
        # one timestamp for both: the printed date says when the article appeared
        ("2025-11-20T09:00:00Z", "2025-11-20T09:00:00Z", "May 14, 2025", "2025-05-14"),
        # distinct dates: the structured publication date stands
        ("2025-03-02T09:00:00Z", "2025-11-20T09:00:00Z", "May 14, 2025", "2025-03-02"),
        # the printed date agrees: nothing to choose
        ("2025-05-14T09:00:00Z", "2025-05-14T09:00:00Z", "May 14, 2025", "2025-05-14"),
    ],
)
def test_byline_date_beats_a_structured_date_that_is_also_the_modified_date(
    published: str, modified: str, byline: str, expected: str
) -> None:
    tree = parse_html(_dated_page(published, modified, byline))
    assert tree is not None
    assert read_metadata(tree, today=date(2026, 1, 3)).published == expected


def test_room_counts_every_block_on_its_own() -> None:
    """Prose and link-list blocks interleaved: each block's counts stay its own, every time."""
    prose = "<p>Word after word fills this plain paragraph of running text.</p>"
    links = "<p><a href='/a'>one</a> <a href='/b'>two</a> <a href='/c'>three</a> x y</p>"
    body = "".join(f"<div><div>{prose}</div>{links}</div>" for _ in range(400))
    tree = parse_html(page(body))
    assert tree is not None
    prose_chars = len("Word after word fills this plain paragraph of running text.")
    link_chars = sum(len(w) for w in ("one", "two", "three", "x y"))
    expected = (400 * (prose_chars + link_chars), 400 * prose_chars)
    assert {_text_room(tree) for _ in range(20)} == {expected}


def test_room_counts_a_blocks_words_across_its_pieces_and_skips_what_is_not_shown() -> None:
    five = "<p>one <b>two</b> three <i>four</i> five</p>"  # five words in five pieces
    four = "<p>one <b>two</b> three four</p>"
    hidden = "<div><select><option>not shown</option></select>shown after</div>"
    linked = "<p><a href='/x'>a b c d e f</a> g</p>"
    tree = parse_html(page(five + four + hidden + linked))
    assert tree is not None
    # each piece counted without the spaces around it
    chars = {
        "five": len("onetwothreefourfive"),
        "four": len("onetwothree four"),
        "hidden": len("shown after"),
        "linked": len("a b c d e fg"),
    }
    assert _text_room(tree) == (sum(chars.values()), chars["five"])


def test_room_counts_the_words_of_a_block_of_unspaced_script_as_a_whole() -> None:
    """Six Chinese characters in six pieces are three words (one for every two characters),
    under the five a prose-like block needs: counted piece by piece they were six."""
    tree = parse_html(page("<p><a>中</a>文<b>字</b>很<i>好</i>看</p>"))
    assert tree is not None
    assert _text_room(tree) == (6, 0)


# --- pruning and layout ------------------------------------------------------------------------


def pruned_text(html: str) -> str:
    """The page's text, flattened, after chrome pruning."""
    tree = parse_html(html)
    assert tree is not None
    prune_chrome(tree)
    return flat(tree.text_content())


def test_chrome_names_are_matched_as_whole_words() -> None:
    body = (
        "<article><h1>Budget passes</h1>" + paragraphs(5, "the budget")
        + "<div class='share-bar'><p>Share this on every network you know about today</p></div>"
        + "<div class='shareholder-notes'><p>Shareholder notes are part of this story</p></div>"
        + "<div class='no-related-posts'><p>A closing note that belongs to the story</p></div>"
        + "</article>"
    )  # fmt: skip
    text = pruned_text(page(body))
    assert "share this on every network" not in text
    assert "shareholder notes" in text
    assert "a closing note" in text


def test_call_to_action_and_testimonial_blocks_are_pruned() -> None:
    body = (
        "<article><h1>Budget passes</h1>" + paragraphs(5, "the budget")
        + "<div class='wp-block-cta'><p>Get your free quote from our friendly team today</p></div>"
        + "<section class='testimonials'><p>Great staff, they really care about you</p></section>"
        + "<div class='ctabar-notes'><p>A closing note that belongs to the story</p></div>"
        + "</article>"
    )  # fmt: skip
    text = pruned_text(page(body))
    assert "free quote" not in text
    assert "great staff" not in text
    assert "a closing note" in text
    assert "paragraph 4 about the budget" in text


def test_container_named_like_chrome_but_holding_the_article_is_kept() -> None:
    body = (
        "<h1>Budget passes</h1><div class='post-content share-btn'>"
        + paragraphs(6, "the budget")
        + "</div>"
    )
    assert "paragraph 5 about the budget" in pruned_text(page(body))


def test_many_blocks_of_one_kind_holding_the_page_are_kept() -> None:
    posts = "".join(
        f"<div class='related-{i}'>{paragraphs(1, f'post {i}')}</div>" for i in range(6)
    )
    # six teasers' worth of prose, and nothing else: they are the page
    text = pruned_text(page("<h1>Which tent for winter?</h1>" + posts))
    assert all(f"about post {i}" in text for i in range(6))


def test_repeated_paragraphs_kept_once() -> None:
    para = "This paragraph is shown twice by the page, once for phones and once for desktops."
    text = _dedup_paragraphs(f"{para}\nShort line\nShort line\n{para}\nThe end of it all here.")
    assert text.count(para) == 1
    assert text.count("Short line") == 2


def test_extraction_does_not_depend_on_order() -> None:
    first = [extracted(name).text for name in WCXB]
    second = [extracted(name).text for name in reversed(WCXB)]
    assert first == list(reversed(second))


def test_text_has_no_markup() -> None:
    assert not re.search(r"</?(?:p|div|span|a)\b", extracted("wcxb-4622").text)


@pytest.mark.parametrize(
    ("declared", "language"),
    [
        ("en-GB", "en"),
        ("pt_BR", "pt"),
        ("iw", "he"),  # withdrawn codes, still declared by pages, read as today's
        ("in-ID", "id"),
        ("eng", "en"),  # a three-letter code of a language with a two-letter one
        ("fre", "fr"),
        ("deu-DE", "de"),
        ("tl", "tl"),
        ("fil", "fil"),  # no two-letter code: the three-letter one
        ("haw", "haw"),
        ("und", None),  # codes that name no one language
        ("mul", None),
        ("zxx", None),
        ("english", None),
        ("ру", None),
    ],
)
def test_the_language_is_an_iso_639_code_or_null(declared: str, language: str | None) -> None:
    tree = lxml_html.fromstring(f"<html lang='{declared}'><body><p>x</p></body></html>")
    assert read_metadata(tree).language == language


def test_a_page_htmldate_fails_on_keeps_its_text_without_a_date() -> None:
    """htmldate fails on some markup (lxml refuses to drop the root of a page that is one
    ``<svg>``): the date is optional, so the article is kept, undated."""
    sentence = "The council approved the budget for the new harbour terminal after a debate. "
    page = f"<svg><text>{sentence * 20}</text><p>{sentence * 20}</p></svg>"
    doc = extract(document_from_html(page, source="svg.html", url=None), CleanConfig())
    assert "harbour terminal" in doc.text and doc.published is None
