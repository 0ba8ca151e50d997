"""``scrapy crawl feed``: RSS 2.0 and Atom, found from a page or given directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sites import feeds
from sites.crawl import crawl
from sites.server import NewsSite, serve

from spiders.feed import feed_entries, parse_feed


@pytest.fixture
def harbour() -> Iterator[NewsSite]:
    with serve("harbour") as site:
        yield site


def in_feeds(site: NewsSite, sections: set[str], year: int = 0) -> set[str]:
    return {
        site.url(a.path)
        for a in site.articles
        if a.section in sections
        and not a.path.startswith("/private/")
        and a.padding is None
        and a.published.year >= year
    }


def test_feeds_are_discovered_from_a_page(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl("feed", {"url": harbour.url("/")}, tmp_path / "o", tmp_path / "s")
    assert run.returncode == 0, run.log[-3000:]
    fetched = harbour.paths()
    assert "/feeds/rss.xml" in fetched and "/feeds/atom.xml" in fetched
    assert run.emitted == in_feeds(harbour, {"city", "business", "environment"})
    # Only the home page and the feeds' entries: no other listing is crawled.
    assert "/city/" not in fetched
    # Entries pointing off the web (file:, ftp:) are dropped before any request.
    assert run.stat("newsdedup/filtered/scheme") == 2
    assert run.stat("newsdedup/dropped/too_large") == 2
    # ...and in the run summary, which accounts for every page.
    assert run.balanced
    assert "  dropped/too_large  2\n" in run.log
    # The entry's title and date travel with the page.
    first = next(a for a in harbour.articles if harbour.url(a.path) in run.emitted)
    record = next(r for r in run.articles if r["source"] == harbour.url(first.path))
    assert record["title"] == first.title


def test_one_feed_with_since(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl(
        "feed",
        {"url": harbour.url("/feeds/rss.xml"), "since": "2024-01-01"},
        tmp_path / "o",
        tmp_path / "s",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == in_feeds(harbour, {"city", "business"}, year=2024)
    assert "/feeds/atom.xml" not in harbour.paths()
    assert run.stat("newsdedup/skipped/older") == 1


def test_parse_rss_and_atom(harbour: NewsSite) -> None:
    harbour.origin = "https://harbourtown.example"
    items = harbour.articles[:3]
    rss = parse_feed(feeds.rss(harbour, items).encode())
    atom = parse_feed(feeds.atom(harbour, items).encode())
    assert rss is not None and atom is not None
    for root in (rss, atom):
        entries = [e for e in feed_entries(root) if e.link.startswith("https://")]
        assert [e.link for e in entries] == [harbour.url(a.path) for a in items]
        assert [e.title for e in entries] == [a.title for a in items]
        assert all(e.published for e in entries)
    assert parse_feed(b"<!DOCTYPE html><html><head></head><body>rss</body></html>") is None


def test_an_rss1_feed_with_an_undeclared_prefix_is_read() -> None:
    """``rdf:RDF`` without its ``xmlns:rdf`` is kept by the recovering parser under its whole
    name; reading the root's name must not fail on it."""
    root = parse_feed(
        b"<rdf:RDF><channel><title>T</title></channel>"
        b"<item><title>One</title><link>https://example.com/1</link></item></rdf:RDF>"
    )
    assert root is not None
    assert [(e.link, e.title) for e in feed_entries(root)] == [("https://example.com/1", "One")]
