"""``scrapy crawl sitemap``: robots.txt, sitemap indexes, gzipped and Google News sitemaps."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sites import feeds
from sites.crawl import crawl, dead_source
from sites.server import NewsSite, Reply, serve

from spiders.sitemap import SitemapSpider, read_sitemap


@pytest.fixture
def harbour() -> Iterator[NewsSite]:
    with serve("harbour") as site:
        yield site


def article_urls(site: NewsSite, *, year: int | None = None) -> set[str]:
    return {
        site.url(a.path)
        for a in site.articles
        if not a.path.startswith("/private/")
        and a.padding is None
        and (year is None or a.published.year >= year)
    }


def test_robots_txt_leads_to_every_sitemap_and_article(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl("sitemap", {"url": harbour.url("/robots.txt")}, tmp_path / "o", tmp_path / "s")
    assert run.returncode == 0, run.log[-3000:]
    fetched = harbour.paths()
    for child in ("/sitemap_index.xml", "/sitemaps/news.xml.gz", "/sitemaps/pages.xml"):
        assert child in fetched
    # News entries are articles by the publisher's word; the plain sitemap's listings were
    # fetched and recognised as listings; its archived article was recognised as one.
    assert run.emitted == article_urls(harbour)
    listings = ("/", "/city/", "/business/", "/environment/", "/about/", "/tag/harbour/")
    for listing in listings:
        assert listing in fetched
    assert run.stat("newsdedup/pages/listing") == len(listings)
    # The news sitemap lists the private memo; robots.txt still wins.
    assert not any(p.startswith("/private/") for p in fetched)
    # Entries requested and not emitted are counted drops: the listings (not articles), the
    # pages over the size limit, the memo robots.txt forbids...
    drops = {k: v for k, v in run.stats.items() if k.startswith("newsdedup/dropped/")}
    assert drops == {
        "newsdedup/dropped/not_article": len(listings),
        "newsdedup/dropped/too_large": 2,
        "newsdedup/dropped/robots_txt": 1,
    }
    assert run.log.count("INFO: dropped/not_article") == len(listings)
    # ...and in the run summary, which accounts for every entry requested.
    assert run.stat("newsdedup/seen") == len(run.emitted) + len(listings) + 2 + 1
    assert run.balanced
    assert f"  dropped/not_article  {len(listings)}\n" in run.log
    assert "  dropped/too_large  2\n" in run.log


def test_since_skips_old_entries_and_old_child_sitemaps(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl(
        "sitemap",
        {"url": harbour.url("/sitemap_index.xml"), "since": "2024-01-01"},
        tmp_path / "o",
        tmp_path / "s",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == article_urls(harbour, year=2024)
    fetched = harbour.paths()
    assert "/sitemaps/archive-2023.xml" not in fetched  # its lastmod says nothing new inside
    old = [a.path for a in harbour.articles if a.published.year < 2024]
    assert old and not set(old) & set(fetched)
    assert run.stat("newsdedup/skipped/older") == 2


def test_sitemaps_that_cannot_be_fetched_are_counted_drops(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """A sitemap a robots.txt or an index names, or the start URL itself, that fails: in the
    run summary and logged as a warning, not only in Scrapy's own log."""
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{harbour.url('/sitemaps/gone.xml')}</loc></sitemap></sitemapindex>"
    )
    harbour.extra["/dead_index.xml"] = Reply(200, index.encode(), "application/xml")
    for start in ("/dead_index.xml", "/missing.xml"):
        dead_source("sitemap", harbour.url(start), tmp_path)


def test_news_sitemap_fields_are_read(harbour: NewsSite) -> None:
    body = gzip.decompress(gzip.compress(feeds.news_sitemap(harbour, harbour.articles).encode()))
    kind, entries, damage, skipped = read_sitemap(body)
    assert kind == "urlset" and damage is None and skipped == 0
    assert len(entries) == len(harbour.articles)
    first = harbour.articles[0]
    entry = next(e for e in entries if e.loc.endswith(first.path))
    assert entry.is_news
    assert entry.news_title == first.title
    assert entry.news_published == first.published.isoformat()


def test_plain_sitemap_and_junk() -> None:
    kind, entries, damage, skipped = read_sitemap(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc> https://example.com/a </loc><lastmod>2024-05-01</lastmod></url>"
        b"<url><lastmod>2024-05-01</lastmod></url></urlset>"
    )
    assert kind == "urlset" and damage is None and skipped == 0
    assert [(e.loc, e.lastmod, e.is_news) for e in entries] == [
        ("https://example.com/a", "2024-05-01", False)
    ]
    assert read_sitemap(b"<html><body>not a sitemap</body></html>") == (None, [], None, 0)
    assert read_sitemap(b"") == (None, [], None, 0)
    # An entity that would expand a file is left alone, never resolved.
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://example.com/&x;</loc></url></urlset>"
    )
    kind, entries, _, _ = read_sitemap(evil)
    assert all("root:" not in e.loc for e in entries)


def test_a_truncated_sitemap_keeps_what_it_has_and_says_so() -> None:
    locs = [f"https://example.com/news/{i}" for i in range(6)]
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + b"".join(f"<url><loc>{loc}</loc></url>".encode() for loc in locs)
        + b"</urlset>"
    )
    cut = body[: body.index(locs[-1].encode()) + 10]  # a download cut off inside the last entry
    kind, entries, damage, skipped = read_sitemap(cut)
    assert kind == "urlset"
    assert [e.loc for e in entries] == locs[:-1]  # never half a URL
    assert damage and "Premature end of data" in damage and skipped == 1
    # A bare & and an HTML entity (common slips) are mended: the URL stays whole.
    bare = body.replace(locs[2].encode(), locs[2].encode() + b"/caf&eacute;?a=1&b=2")
    kind, entries, damage, skipped = read_sitemap(bare)
    assert [e.loc for e in entries] == locs[:2] + [locs[2] + "/caf\u00e9?a=1&b=2"] + locs[3:]
    assert damage is None and skipped == 0
    # Damage mending cannot undo (a stray "<" in a URL) is skipped: the parser's repair
    # would request another URL.
    broken = body.replace(locs[2].encode(), locs[2].encode() + b"<b")
    kind, entries, damage, skipped = read_sitemap(broken)
    assert [e.loc for e in entries] == locs[:2] + locs[3:]
    assert damage and skipped == 1
    # Both at once: the mended entry is kept, the broken one skipped.
    both = broken.replace(locs[4].encode(), locs[4].encode() + b"?a=1&b=2")
    kind, entries, damage, skipped = read_sitemap(both)
    assert [e.loc for e in entries] == locs[:2] + [locs[3], locs[4] + "?a=1&b=2", locs[5]]
    assert damage and skipped == 1


def test_every_damaged_entry_of_a_long_sitemap_is_skipped_and_counted() -> None:
    """lxml reports a recovering parse's errors in batches, not as each entry ends: every
    damaged entry must still be found, wherever it is, and none requested half repaired."""
    locs = [f"https://example.com/news/{i:04d}" for i in range(3000)]
    bad = {7, 1500, 2990}
    body = (
        b'<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        b' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + b"".join(
            f"<url><loc>{loc}{'?a=1<b=2' if i in bad else ''}</loc>"
            f"<news:news><news:title>T{i}</news:title></news:news></url>\n".encode()
            for i, loc in enumerate(locs)
        )
        + b"</urlset>\n"
    )
    cut = body[: body.index(locs[-1].encode()) + 12]
    kind, entries, damage, skipped = read_sitemap(cut)
    kept = [loc for i, loc in enumerate(locs[:-1]) if i not in bad]
    assert kind == "urlset" and damage
    assert [e.loc for e in entries] == kept
    assert [e.news_title for e in entries[:3]] == ["T0", "T1", "T2"]
    assert skipped == len(bad) + 1  # and the entry cut off

    # An entry that is never closed loses itself, not the next one; entries without any
    # closing tag are each counted (and found in time linear in the body).
    unclosed = body.replace(b"T5</news:title></news:news></url>", b"T5</news:title></news:news>")
    assert unclosed != body
    kind, entries, damage, skipped = read_sitemap(unclosed)
    assert [e.loc for e in entries] == [loc for i, loc in enumerate(locs) if i not in bad | {5}]
    assert damage and skipped == len(bad) + 1
    never = body.replace(b"</url>", b"")
    kind, entries, damage, skipped = read_sitemap(never)
    assert (kind, entries, skipped) == ("urlset", [], len(locs))


def test_an_undeclared_news_prefix_loses_nothing() -> None:
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://example.com/a</loc><news:news><news:title>A</news:title>"
        b"<news:publication_date>2024-05-01</news:publication_date></news:news></url>"
        b"<url><loc>https://example.com/b</loc></url></urlset>"
    )
    kind, entries, damage, skipped = read_sitemap(body)
    assert (kind, damage, skipped) == ("urlset", None, 0)
    assert [(e.loc, e.news_title, e.news_published) for e in entries] == [
        ("https://example.com/a", "A", "2024-05-01"),
        ("https://example.com/b", None, None),
    ]
    # The same slip in a damaged sitemap does not make its good entries look damaged.
    kind, entries, damage, skipped = read_sitemap(body[:-20])
    assert [e.loc for e in entries] == ["https://example.com/a"] and skipped == 1 and damage


@pytest.mark.parametrize("zipped", [False, True])
def test_a_sitemap_larger_than_a_page_may_be_is_read(
    harbour: NewsSite, tmp_path: Path, zipped: bool
) -> None:
    """Sitemaps may hold 50 MB; pages are held to DOWNLOAD_MAXSIZE (100 kB in the tests)."""
    article = next(a for a in harbour.articles if a.published.year == 2024)
    entries = [(f"/archive/{i:05d}/a-story-from-long-ago.html", "2019-03-01") for i in range(2000)]
    entries.append((article.path, "2024-05-14"))
    body = feeds.urlset(harbour, entries).encode()
    assert len(body) > 100_000
    if zipped:
        body = gzip.compress(body)
    path = "/sitemaps/big.xml" + (".gz" if zipped else "")
    harbour.extra[path] = Reply(200, body, "application/xml")
    run = crawl(
        "sitemap",
        {"url": harbour.url(path), "since": "2024-01-01"},
        tmp_path / "o",
        tmp_path / "s",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == {harbour.url(article.path)}
    assert run.stat("newsdedup/skipped/older") == 2000
    assert run.stat("newsdedup/dropped/too_large") == 0


@pytest.mark.parametrize(
    ("pages", "sitemaps"),
    [(10 * 2**20, 50 * 2**20), (100 * 2**20, 100 * 2**20), (0, 0)],  # 0: no limit at all
)
def test_a_sitemaps_size_limit_is_never_below_the_pages_one(pages: int, sitemaps: int) -> None:
    crawler = get_crawler(SitemapSpider, {"DOWNLOAD_MAXSIZE": pages})
    spider = SitemapSpider.from_crawler(crawler, url="https://example.com/sitemap.xml")
    assert spider._sitemap_meta() == {"download_maxsize": sitemaps}


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [("utf-16", "application/xml"), ("cp1251", "application/xml; charset=windows-1251")],
)
def test_sitemaps_in_other_encodings_are_read(
    harbour: NewsSite, tmp_path: Path, encoding: str, content_type: str
) -> None:
    """A UTF-16 sitemap (whose encoding Scrapy would also have used for the requests' headers)
    and a windows-1251 one whose charset only the HTTP header names."""
    article = next(a for a in harbour.articles if a.published.year == 2024)
    body = feeds.urlset(harbour, [(article.path, "2024-05-14")])
    declared = 'encoding="UTF-16"' if encoding == "utf-16" else ""  # cp1251: in the header only
    body = body.replace('encoding="UTF-8"', declared).replace(
        "</urlset>", "<!-- Карта --></urlset>"
    )
    harbour.extra["/sitemaps/other.xml"] = Reply(200, body.encode(encoding), content_type)
    run = crawl(
        "sitemap", {"url": harbour.url("/sitemaps/other.xml")}, tmp_path / "o", tmp_path / "s"
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == {harbour.url(article.path)}
    assert run.stat("newsdedup/dropped/fetch_failed") == 0
    assert run.stat("newsdedup/sitemaps/malformed") == 0
