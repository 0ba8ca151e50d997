"""``scrapy crawl site`` against local fixture sites: what is emitted, fetched, and skipped."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sites.crawl import crawl, start
from sites.server import NewsSite, Reply, serve

from spiders.site import SiteSpider


@pytest.fixture
def harbour() -> Iterator[NewsSite]:
    with serve("harbour") as site:
        yield site


@pytest.fixture
def wire() -> Iterator[NewsSite]:
    with serve("wire", host="127.0.0.2") as site:
        yield site


def emittable(site: NewsSite) -> set[str]:
    """Article URLs a crawl may emit: not kept out by robots.txt, not over the size limit."""
    return {
        site.url(a.path)
        for a in site.articles
        if not a.path.startswith("/private/") and a.padding is None
    }


def test_emits_every_article_and_no_listing(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl("site", {"url": harbour.url("/")}, tmp_path / "out", tmp_path / "state")
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == emittable(harbour)

    fetched = harbour.paths()
    listings = ["/", "/city/", "/city/page/2/", "/environment/", "/tag/harbour/", "/about/"]
    listings.append("/author/maria-lopez/")
    for path in listings:
        assert path in fetched, path  # followed...
        assert harbour.url(path) not in run.emitted  # ...but never emitted
    assert run.stat("newsdedup/pages/listing") >= len(listings)
    # The summary says how many pages were judged listing pages (they are not in "seen").
    n = run.stat("newsdedup/pages/listing")
    assert f"\nlisting pages  {n}  (judged index or listing pages" in run.log

    # robots.txt keeps the crawler out of /private/ although the home page links there.
    assert not any(p.startswith("/private/") for p in fetched)
    assert run.stat("robotstxt/forbidden") == 1
    # The old URL redirected; the article is emitted under the URL it was fetched from.
    ferry = next(a for a in harbour.articles if a.old_path)
    assert ferry.old_path in fetched and harbour.url(ferry.path) in run.emitted
    # A 500 is retried and the article recovers.
    flaky = next(a for a in harbour.articles if a.flaky)
    assert harbour.requested(flaky.path) == flaky.flaky + 1
    assert run.stat("retry/count") == flaky.flaky
    # Pages over DOWNLOAD_MAXSIZE, with and without a Content-Length, are counted drops.
    padded = [a for a in harbour.articles if a.padding]
    assert len(padded) == 2
    assert run.stat("newsdedup/dropped/too_large") == len(padded)
    assert run.log.count("INFO: dropped/too_large") == len(padded)
    # ...and in the run summary, which accounts for every page.
    assert run.balanced
    assert f"  dropped/too_large  {len(padded)}\n" in run.log
    # Nothing off the web, no files that are not pages, nothing twice.
    assert "/media/print-edition.pdf" not in fetched
    answered = [p for p, status in harbour.log if status == 200]
    assert len(answered) == len(set(answered))


def test_depth_and_deny_limit_what_is_followed(harbour: NewsSite, tmp_path: Path) -> None:
    run = crawl(
        "site",
        {"url": harbour.url("/"), "depth": "1", "deny": "/2024/05/1[0-9]/"},
        tmp_path / "out",
        tmp_path / "state",
    )
    assert run.returncode == 0, run.log[-3000:]
    fetched = harbour.paths()
    # depth 1: the home page's links only; the second page of a section is two links away.
    assert "/city/" in fetched
    assert "/city/page/2/" not in fetched
    assert not any(p.startswith("/2024/05/1") for p in fetched)
    on_home = {
        harbour.url(a.path)
        for a in harbour.articles
        if a.listed == "home" and "/2024/05/0" in a.path
    }
    assert run.emitted == on_home & emittable(harbour)
    assert run.emitted  # the deny pattern left something to emit


def test_rerun_emits_only_new_articles_and_refetches_no_known_one(
    harbour: NewsSite, tmp_path: Path
) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    first = crawl("site", {"url": harbour.url("/")}, out, state)
    assert first.returncode == 0, first.log[-3000:]
    assert first.emitted == emittable(harbour)
    first_requests = len(harbour.log)

    harbour.reset_log()
    late = harbour.publish("late")
    second = crawl("site", {"url": harbour.url("/")}, out, state)
    assert second.returncode == 0, second.log[-3000:]
    assert second.emitted == {harbour.url(a.path) for a in late}
    fetched = harbour.paths()
    known = {p.removeprefix(harbour.origin) for p in first.emitted}
    assert not known & set(fetched)
    # Known articles still linked from fetched pages were turned away before downloading.
    assert second.stat("newsdedup/skipped/seen") > 0
    # Listing pages are asked again: the changed home page in full, unchanged ones answer
    # "not modified" to the cache's validators.
    assert ("/", 200) in harbour.log
    assert ("/about/", 304) in harbour.log
    assert len(harbour.log) < first_requests

    harbour.reset_log()
    third = crawl("site", {"url": harbour.url("/")}, out, state)
    assert third.returncode == 0, third.log[-3000:]
    assert third.emitted == set()
    assert third.stat("newsdedup/written") == 0
    # Every article page was turned away before it became an item: the summary still says so.
    assert "nothing new: outputs left as they were" in third.log
    assert ("/", 304) in harbour.log
    assert not (known | {a.path for a in late}) & set(harbour.paths())


def test_killed_crawl_rerun_ends_like_an_uninterrupted_one(
    harbour: NewsSite, tmp_path: Path
) -> None:
    whole = crawl("site", {"url": harbour.url("/")}, tmp_path / "whole", tmp_path / "whole-state")
    assert whole.returncode == 0, whole.log[-3000:]

    out, state = tmp_path / "out", tmp_path / "state"
    harbour.reset_log()
    harbour.delay = 0.15
    log = tmp_path / "crawl.log"
    proc = start("site", {"url": harbour.url("/")}, out, state, {"LOG_FILE": str(log)})
    deadline = time.monotonic() + 60
    while len(harbour.log) < 12 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the crawl ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    harbour.delay = 0.0
    assert not (out / "articles.jsonl").exists()  # nothing half-written

    rerun = crawl("site", {"url": harbour.url("/")}, out, state)
    assert rerun.returncode == 0, rerun.log[-3000:]
    assert rerun.emitted == whole.emitted
    for name in ("articles.jsonl", "clusters.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_interrupted_crawl_and_its_rerun_emit_everything_once(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """Ctrl-C: Scrapy stops gracefully and writes what it has; the rerun writes the rest."""
    out, state = tmp_path / "out", tmp_path / "state"
    harbour.delay = 0.15
    log = tmp_path / "crawl.log"
    proc = start("site", {"url": harbour.url("/")}, out, state, {"LOG_FILE": str(log)})
    deadline = time.monotonic() + 60
    while len(harbour.log) < 12 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the crawl ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(60) == 0
    harbour.delay = 0.0
    path = out / "articles.jsonl"
    first = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    assert first, "the interrupted crawl wrote none of the articles it had"
    assert len(first) < len(emittable(harbour))  # it really was cut short
    assert "the crawl was stopped before its end" in log.read_text()

    rerun = crawl("site", {"url": harbour.url("/")}, out, state)
    assert rerun.returncode == 0, rerun.log[-3000:]
    firsts = {a["source"] for a in first}
    assert not firsts & rerun.emitted
    assert firsts | rerun.emitted == emittable(harbour)


def test_wire_rewrite_joins_its_originals_cluster(
    harbour: NewsSite, wire: NewsSite, tmp_path: Path
) -> None:
    run = crawl(
        "site",
        {"url": f"{harbour.url('/')},{wire.url('/')}"},
        tmp_path / "out",
        tmp_path / "state",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == emittable(harbour) | emittable(wire)
    by_source = {a["source"]: a for a in run.articles}
    original = by_source[harbour.url("/2024/05/14/port-authority-approves-harbour-dredging-plan/")]
    rewrite = by_source[wire.url("/news/harbour-channel-to-be-deepened-under-new-plan/")]
    assert original["cluster_id"] is not None
    assert rewrite["cluster_id"] == original["cluster_id"]
    # Nothing else on either site tells the same story.
    others = [a for a in run.articles if a["source"] not in {original["source"], rewrite["source"]}]
    assert all(a["cluster_id"] != original["cluster_id"] for a in others)


def test_redirects_off_the_site_are_not_followed_unless_from_the_start_url(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """127.0.0.1:PORT and localhost:PORT are two sites to the crawl (the same server here)."""
    a, b = [x for x in harbour.articles if not x.path.startswith("/private/")][:2]
    elsewhere = harbour.origin.replace("127.0.0.1", "localhost")
    harbour.extra.update(
        {
            "/odd/start.html": Reply(
                200,
                f'<html><body><a href="{a.path}">A</a> <a href="/odd/moved.html">B</a>'
                "</body></html>".encode(),
            ),
            "/odd/moved.html": Reply(301, headers={"Location": elsewhere + b.path}),
            "/odd/jump.html": Reply(301, headers={"Location": elsewhere + "/odd/start.html"}),
        }
    )
    args = {"url": harbour.url("/odd/start.html"), "depth": "1"}
    run = crawl("site", args, tmp_path / "o", tmp_path / "s")
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == {harbour.url(a.path)}
    assert run.stat("newsdedup/filtered/off_site") == 1

    # A start URL that moved to another site: that site is crawled instead.
    args = {"url": harbour.url("/odd/jump.html"), "depth": "1"}
    moved = crawl("site", args, tmp_path / "o2", tmp_path / "s2")
    assert moved.returncode == 0, moved.log[-3000:]
    assert elsewhere + a.path in moved.emitted
    assert moved.stat("newsdedup/filtered/off_site") == 0


def test_a_site_added_by_another_crawl_of_a_shared_frontier_is_in_scope() -> None:
    """With scrapy-redis, the process that saw a start URL move to another site is not the
    only one to fetch that site's links: the site travels with each request."""
    spider = SiteSpider(url="https://old.example/")
    spider.crawler = get_crawler(SiteSpider)

    def page(url: str, depth: int, followed_for: str | None) -> HtmlResponse:
        meta = {"depth": depth, **({"newsdedup_site": followed_for} if followed_for else {})}
        return HtmlResponse(url, body=b"<html></html>", request=Request(url, meta=meta))

    assert not spider._in_scope(page("https://other.example/a", 2, None))
    assert not spider._in_scope(page("https://other.example/a", 2, "old.example"))  # redirected
    assert spider._in_scope(page("https://new.example/a", 2, "new.example"))
    assert spider._in_scope(page("https://new.example/b", 3, None))  # now a crawled site
