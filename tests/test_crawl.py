"""Crawl hygiene: the seen-URL store, the address guard, the HTTP cache, the polite settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
from sites.crawl import crawl
from sites.server import NewsSite, Reply, serve

from pipeline.crawl import (
    StateDirCacheStorage,
    ValidatingPolicy,
    is_public,
    request_key,
    retry_after,
)
from pipeline.errors import NewsdedupError
from pipeline.lock import StateLock
from pipeline.seen import SeenStore


@pytest.fixture
def harbour() -> Iterator[NewsSite]:
    with serve("harbour") as site:
        yield site


# -- the seen-URL store ---------------------------------------------------------------------------


def test_seen_store_compares_canonical_urls_and_persists(tmp_path: Path) -> None:
    with SeenStore.open(tmp_path / "state") as store:
        assert not store.contains("https://news.example/a")
        store.add(["https://News.Example/a/?utm_source=feed#top", "https://news.example/b"])
        store.add(["https://news.example/b"])  # again: no error, no duplicate
        assert len(store) == 2
    with SeenStore.open(tmp_path / "state") as store:
        assert store.contains("https://news.example/a")
        assert store.contains("https://news.example:443/b/")
        assert not store.contains("https://news.example/c")
        assert not store.contains("https://other.example/a")


def test_seen_store_reader_sees_a_writers_commit(tmp_path: Path) -> None:
    """The crawl's reader stays open while the item pipeline writes at the end."""
    reader = SeenStore.open(tmp_path)
    try:
        assert not reader.contains("https://news.example/a")
        with SeenStore.open(tmp_path) as writer:
            writer.add(["https://news.example/a"])
        assert reader.contains("https://news.example/a")
    finally:
        reader.close()


# -- the address guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("10.1.2.3", False),
        ("172.16.5.4", False),
        ("172.31.255.255", False),
        ("172.32.0.1", True),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata endpoint
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) == public


def test_private_addresses_are_refused_beyond_the_start_urls(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """Without NEWSDEDUP_ALLOW_PRIVATE, a start URL on 127.0.0.1 (or a name resolving there) is
    fetched, but none of its links, and not where it redirects."""
    redirecting = next(a for a in harbour.articles if a.old_path)
    old_path = redirecting.old_path or ""
    port = harbour.origin.rsplit(":", 1)[1]
    starts = f"{harbour.url(old_path)},http://localhost:{port}/"
    run = crawl(
        "site",
        {"url": starts},
        tmp_path / "out",
        tmp_path / "state",
        settings={"NEWSDEDUP_ALLOW_PRIVATE": "0"},
    )
    assert run.returncode == 0, run.log[-3000:]
    fetched = harbour.paths()
    assert sorted(fetched) == sorted(["/robots.txt", "/robots.txt", old_path, "/"])
    assert run.emitted == set()
    # The redirect's target and every link on the home page were turned away.
    blocked = run.stat("newsdedup/blocked/private_address")
    assert blocked > 10
    assert f"blocked/private_address {harbour.url(redirecting.path)}" in run.log
    # the first one says, without -v, how to crawl a local site on purpose
    assert run.log.count("[pipeline.crawl] WARNING: blocked/private_address") == 1
    assert "set -s NEWSDEDUP_ALLOW_PRIVATE=1" in run.log


# -- what the log says ----------------------------------------------------------------------------


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a site that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_routine_failures_are_counted_and_logged_without_errors(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """A page that still answers 500 after its retries, and a site that is down (its
    robots.txt cannot be downloaded either), are counted drops and warnings: no ERROR line, no
    traceback. The README keeps ERROR for what stops a crawl."""
    good = next(a for a in harbour.articles if a.path.startswith("/2024/") and not a.flaky)
    harbour.extra["/odd/broken.html"] = Reply(500, b"<h1>Down</h1>", validators=False)
    items = "".join(
        f"<item><link>{harbour.url(p)}</link></item>" for p in (good.path, "/odd/broken.html")
    )
    body = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    harbour.extra["/feeds/odd.xml"] = Reply(200, body.encode(), "application/rss+xml")
    down = f"http://127.0.0.1:{_closed_port()}"
    run = crawl(
        "feed",
        {"url": f"{harbour.url('/feeds/odd.xml')},{down}/feed.xml"},
        tmp_path / "out",
        tmp_path / "state",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.emitted == {harbour.url(good.path)}
    errors = [line for line in run.log.splitlines() if "] ERROR: " in line or "CRITICAL" in line]
    assert errors == [], errors
    assert "Traceback" not in run.log
    # The counts are those of before: one entry dropped, one feed that could not be fetched.
    assert run.stat("newsdedup/dropped/http_status") == 1
    assert run.stat("newsdedup/dropped/fetch_failed") == 1
    assert run.balanced
    # Retried as before (three tries each), then given up on with one INFO line each.
    assert harbour.requested("/odd/broken.html") == 3
    assert run.stat("retry/max_reached") == 3  # the page, the dead feed, its robots.txt
    assert f"INFO: Gave up retrying <GET {harbour.url('/odd/broken.html')}>" in run.log
    assert f"INFO: Gave up retrying <GET {down}/feed.xml>" in run.log
    # The robots.txt that could not be downloaded: one warning, and the site is tried anyway.
    robots = [line for line in run.log.splitlines() if f"{down}/robots.txt could not" in line]
    assert len(robots) == 1 and "] WARNING: robots.txt " in robots[0], robots
    assert "ConnectionRefusedError" in robots[0]
    assert "a start URL, feed or sitemap, so nothing it lists was read" in run.log


# -- the HTTP cache -------------------------------------------------------------------------------


def _response(url: str, **headers: str) -> HtmlResponse:
    return HtmlResponse(url, body=b"<html><body>hi</body></html>", headers=headers)


def test_validating_policy_revalidates_unless_the_server_gave_a_lifetime() -> None:
    settings = Settings()
    a_year_ago = formatdate(time.time() - 365 * 86400, usegmt=True)
    now = formatdate(time.time(), usegmt=True)
    url = "https://news.example/"
    old_page = _response(url, Date=now, **{"Last-Modified": a_year_ago})
    # Scrapy's RFC 2616 policy guesses a tenth of the page's age: over a month of "fresh".
    assert RFC2616Policy(settings).is_cached_response_fresh(old_page, Request(url))
    request = Request(url)
    assert not ValidatingPolicy(settings).is_cached_response_fresh(old_page, request)
    assert request.headers[b"If-Modified-Since"] == a_year_ago.encode()
    given = _response(url, Date=now, **{"Cache-Control": "max-age=600"})
    assert ValidatingPolicy(settings).is_cached_response_fresh(given, Request(url))


def test_cache_lives_in_the_state_dir_and_entries_appear_whole(tmp_path: Path) -> None:
    state = tmp_path / "state"
    settings = {"NEWSDEDUP_STATE": str(state), "HTTPCACHE_DIR": "httpcache"}
    crawler = get_crawler(Spider, settings)
    spider = Spider("site")
    spider.crawler = crawler
    storage = StateDirCacheStorage(crawler.settings)
    storage.open_spider(spider)
    assert Path(storage.cachedir) == state / "httpcache"

    request = Request("https://news.example/city/")
    assert storage.retrieve_response(spider, request) is None
    storage.store_response(spider, request, _response(request.url, ETag='"v1"'))
    storage.store_response(spider, request, _response(request.url, ETag='"v2"'))
    cached = storage.retrieve_response(spider, request)
    assert cached is not None and cached.headers[b"ETag"] == b'"v2"'
    entries = [p for p in (state / "httpcache").rglob("*") if p.is_dir() and len(p.name) > 30]
    assert len(entries) == 1
    assert not [p for p in (state / "httpcache").rglob("*tmp*")]

    # A store that fails between two of its files (a crawl killed, a full disk) leaves the
    # previous entry whole and readable, and nothing half-written.
    real_open = storage._open
    opened: list[object] = []

    def fails_on_the_body(path: object, mode: str) -> object:
        opened.append(path)
        if str(path).endswith("response_body"):  # after the new headers were written
            raise OSError(28, "No space left on device")
        return real_open(path, mode)

    storage._open = fails_on_the_body  # type: ignore[method-assign]
    v3 = HtmlResponse(request.url, body=b"<html><body>v3</body></html>", headers={"ETag": '"v3"'})
    with pytest.raises(OSError, match="No space left"):
        storage.store_response(spider, request, v3)
    storage._open = real_open  # type: ignore[method-assign]
    cached = storage.retrieve_response(spider, request)
    assert cached is not None and cached.headers[b"ETag"] == b'"v2"'
    assert cached.body == _response(request.url).body
    assert not [p for p in (state / "httpcache").rglob("*tmp*")]

    # An entry a killed crawl was writing is removed when the next crawl opens the cache; one
    # a live process is writing is left alone.
    entry = entries[0]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (dead.pid, os.getpid()):
        shutil.copytree(entry, entry.with_name(f"{entry.name}.tmp{pid}"))
    StateDirCacheStorage(crawler.settings).open_spider(spider)
    left = sorted(p.name for p in entry.parent.iterdir())
    assert left == sorted([entry.name, f"{entry.name}.tmp{os.getpid()}"])


def _cached(state: Path, spider: str, url: str) -> bool:
    """Whether the crawl's HTTP cache holds an entry for a GET of ``url``."""
    key = request_key(Request(url)).hex()
    return (state / "httpcache" / spider / key[:2] / key).is_dir()


@pytest.mark.parametrize(
    ("spider", "start", "sources"),
    [
        ("feed", "/", ["/", "/feeds/rss.xml", "/feeds/atom.xml"]),
        ("site", "/", ["/", "/city/", "/city/page/2/", "/about/"]),
        (
            "sitemap",
            "/robots.txt",
            ["/robots.txt", "/sitemap_index.xml", "/sitemaps/news.xml.gz", "/sitemaps/pages.xml"]
            + ["/city/", "/about/"],  # entries that are listings
        ),
    ],
)
def test_emitted_articles_leave_the_cache_and_the_rest_is_revalidated(
    harbour: NewsSite, tmp_path: Path, spider: str, start: str, sources: list[str]
) -> None:
    """An emitted article is never fetched again (the seen-URL store turns it away before the
    cache), so its page leaves the cache once the run is saved. Feeds, sitemaps and listing
    pages stay, and the next crawl revalidates them (304)."""
    out, state = tmp_path / "out", tmp_path / "state"
    first = crawl(spider, {"url": harbour.url(start)}, out, state)
    assert first.returncode == 0, first.log[-3000:]
    assert len(first.emitted) > 5
    assert not [url for url in first.emitted if _cached(state, spider, url)]
    assert [path for path in sources if not _cached(state, spider, harbour.url(path))] == []

    harbour.reset_log()
    second = crawl(spider, {"url": harbour.url(start)}, out, state)
    assert second.returncode == 0, second.log[-3000:]
    assert second.emitted == set()
    assert second.stat("newsdedup/skipped/seen") > 0
    for path in sources:
        assert (path, 304) in harbour.log, path
    emitted_paths = {url.removeprefix(harbour.origin) for url in first.emitted}
    assert not emitted_paths & set(harbour.paths())
    assert not [url for url in first.emitted if _cached(state, spider, url)]


# -- settings -------------------------------------------------------------------------------------


def test_polite_defaults() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 1 <= settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert settings.get("USER_AGENT").startswith("newsdedup/")
    assert "+http" in settings.get("USER_AGENT")
    assert settings.getint("DOWNLOAD_MAXSIZE") == 10 * 1024 * 1024
    assert 500 in settings.getlist("RETRY_HTTP_CODES")
    assert not settings.getbool("NEWSDEDUP_ALLOW_PRIVATE")
    for middleware in ("AddressGuard", "SeenSkip", "OversizeDrop"):
        assert f"pipeline.crawl.{middleware}" in settings.getdict("DOWNLOADER_MIDDLEWARES")


def test_a_seen_store_that_cannot_be_opened_is_one_clear_error() -> None:
    with pytest.raises(NewsdedupError, match=r"cannot open the seen-URL store /proc/x/seen"):
        SeenStore.open("/proc/x")  # /proc takes no new files, whoever asks


@pytest.mark.parametrize(
    ("args", "settings", "message"),
    [
        ({"since": "yesterday"}, {}, "since must be YYYY-MM-DD, not 'yesterday'"),
        ({}, {"NEWSDEDUP_MIN_WORDS": "abc"}, "NEWSDEDUP_MIN_WORDS must be a whole number"),
        ({}, {"NEWSDEDUP_OUT": "/proc"}, "cannot write to the output directory /proc"),
        ({}, {}, "another run is using the state in"),
    ],
)
def test_an_operators_mistake_is_one_line_and_exit_status_2(
    tmp_path: Path, args: dict[str, str], settings: dict[str, str], message: str
) -> None:
    state = tmp_path / "state"
    with StateLock(state) if "another run" in message else contextlib.nullcontext():
        run = crawl(
            "feed",
            {"url": "http://127.0.0.1:9/feed.xml", **args},
            tmp_path / "out",
            state,
            settings=settings,
        )
    assert run.returncode == 2, run.log[-3000:]
    errors = [line for line in run.log.splitlines() if "newsdedup: error:" in line]
    assert len(errors) == 1 and message in errors[0], run.log[-3000:]
    assert "Traceback" not in run.log
    assert not (tmp_path / "out" / "articles.jsonl").exists()
    # Refused before anything is touched: the state holds no more than it did.
    assert not (state / "seen.sqlite").exists() and not (state / "groups.sqlite").exists()


def test_retry_after_values() -> None:
    soon = formatdate(time.time() + 30, usegmt=True).encode()
    assert retry_after(b"2", 120) == 2.0
    assert 25 <= retry_after(soon, 120) <= 30
    assert retry_after(b"86400", 120) == 120  # capped: a day's wait is not a crawl's
    for nothing in (None, b"", b"soon", b"-5", b"nan", b"Mon, 01 Jan 2001 00:00:00 GMT"):
        assert retry_after(nothing, 120) == 0.0, nothing


def test_requests_are_known_by_their_urls_normal_form() -> None:
    """The duplicate filter and the cache know a page as the article id does: tracking
    parameters, escapes, a trailing slash or a fragment do not make it another request."""
    same = [
        "https://x.example/news/caf%C3%A9/",
        "https://X.example/news/café?utm_source=rss#top",
        "https://x.example/news/caf%c3%a9?fbclid=abc",
    ]
    assert len({request_key(Request(u)) for u in same}) == 1
    other = [
        "https://x.example/news/caf%C3%A9?page=2",
        "https://x.example/news/other",
        "https://y.example/news/caf%C3%A9",
    ]
    keys = {request_key(Request(u)) for u in other} | {request_key(Request(same[0]))}
    assert len(keys) == 4
    post = Request(same[0], method="POST", body=b"q=1")
    assert request_key(post) != request_key(Request(same[0]))
