"""Article versus listing: real saved pages, the fixture sites' pages, and URL signals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sites import pages
from sites.server import NewsSite

from pipeline.charset import decode_html
from pipeline.pagetype import classify, read_signals, weigh

REAL = Path(__file__).resolve().parent / "sites" / "real"


@pytest.mark.parametrize("page", sorted(p.stem.split(".")[0] for p in REAL.glob("*.html.gz")))
def test_real_pages(page: str) -> None:
    truth = json.loads((REAL / f"{page}.json").read_text(encoding="utf-8"))
    html = decode_html(gzip.decompress((REAL / f"{page}.html.gz").read_bytes()), None)
    verdict = classify(truth["url"], html)
    assert verdict.is_article == (truth["page_type"] == "article"), verdict.reasons
    assert (verdict.score > 0) == verdict.is_article
    assert verdict.reasons


def fixture_site(key: str) -> NewsSite:
    site = NewsSite(key)
    site.origin = f"https://{key}.example"
    return site


@pytest.mark.parametrize("key", ["harbour", "wire"])
def test_fixture_articles_are_articles(key: str) -> None:
    site = fixture_site(key)
    for a in site.articles:
        verdict = classify(site.url(a.path), pages.article_page(site, a))
        assert verdict.is_article, (a.path, verdict.reasons)
        assert "og_article+1.5" in verdict.reasons and "jsonld_article+1.5" in verdict.reasons


def test_fixture_listings_are_not_articles() -> None:
    site = fixture_site("harbour")
    paths = ["/", "/city/", "/city/page/2/", "/business/", "/tag/harbour/", "/author/maria-lopez/"]
    paths.append("/about/")
    for path in paths:
        reply = site.answer(path)
        assert reply.status == 200, path
        verdict = classify(site.url(path), reply.body.decode())
        assert not verdict.is_article, (path, verdict.reasons)


def test_text_signals_point_the_right_way_without_url_or_metadata() -> None:
    """Same neutral URL and no metadata: only the page's text tells them apart (text alone is
    not enough to emit a page, since service and product pages have text too)."""
    site = fixture_site("harbour")
    url = "https://harbourtown.example/content/view"
    story = site.articles[0]
    article_html = (
        "<html><body><main>"
        + "".join(f"<p>{p}</p>" for p in story.paragraphs)
        + "</main></body></html>"
    )
    cards = "".join(
        f'<div class="card"><h3><a href="{a.path}">{a.title}</a></h3>'
        f"<p>{' '.join(a.paragraphs[0].split()[:20])}</p></div>"
        for a in site.articles
    )
    listing_html = f"<html><body><main>{cards}</main></body></html>"
    article, listing = classify(url, article_html), classify(url, listing_html)
    assert article.score > listing.score
    assert any(r.startswith(("text+", "long_text+")) for r in article.reasons)
    assert "teaser_cards-1" in listing.reasons
    assert not listing.is_article


@pytest.mark.parametrize(
    ("url", "listing"),
    [
        ("https://news.example/tag/harbour/", "tag"),
        ("https://news.example/category/world", "category"),
        ("https://news.example/world/page/2/", "page"),
        ("https://news.example/author/jane-doe/", "author"),
        ("https://news.example/archive/?page=3", "archive"),
        ("https://news.example/world/?page=3", "page_param"),
        ("https://news.example/category/world/storm-closes-the-coastal-footpath-again", ""),
        ("https://news.example/2024/05/10/storm-closes-footpath/", ""),
        ("https://news.example/page/about-the-harbour-festival-and-its-history", ""),
    ],
)
def test_url_listing_markers(url: str, listing: str) -> None:
    assert read_signals(url, "").url_listing == listing


def test_url_signals() -> None:
    home = read_signals("https://news.example/", "")
    assert home.url_root
    assert read_signals("https://news.example/index.html", "").url_root
    assert not read_signals("https://news.example/?id=4411", "").url_root
    dated = read_signals("https://news.example/2024/05/10/storm-closes-footpath/", "")
    assert dated.url_date and dated.slug_words == 3
    assert not read_signals("https://news.example/2024/05/", "").url_date
    assert read_signals("https://news.example/questions/12/why", "").url_kind == "forum"
    # The home page is a listing whatever its text looks like.
    assert not weigh(home).is_article


def test_no_html_is_not_an_article() -> None:
    assert not classify("https://news.example/2024/05/10/storm-closes-footpath/", "").is_article
    assert not classify("https://news.example/x", "<html></html>").is_article
