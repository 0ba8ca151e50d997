"""Several ``scrapy crawl`` processes sharing one frontier and one grouping state in Redis."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_server import RedisServer
from scrapy import Request
from sites.crawl import ROOT, Crawl, command, environment, finished
from sites.server import NewsSite, serve

from pipeline.frontier import DupeFilter


@pytest.fixture
def harbour() -> Iterator[NewsSite]:
    with serve("harbour") as site:
        yield site


def emittable(site: NewsSite) -> set[str]:
    return {
        site.url(a.path)
        for a in site.articles
        if not a.path.startswith("/private/") and a.padding is None
    }


def crawl_together(site: NewsSite, server: RedisServer, tmp_path: Path, n: int) -> list[Crawl]:
    """``n`` crawls of ``site`` started at once, each with its own output folder."""
    env = environment()
    env["SCRAPY_SETTINGS_MODULE"] = "pipeline.settings_redis"
    settings = {
        "NEWSDEDUP_STATE": server.url(0),
        "REDIS_URL": server.url(1),
        "NEWSDEDUP_FRONTIER_GRACE": "10",
        # Few requests in flight per process: the rest wait in the shared queue, where an idle
        # process finds them at its next poll (Scrapy polls every 5 s).
        "CONCURRENT_REQUESTS": "2",
    }
    procs = [
        subprocess.Popen(
            command("site", {"url": site.url("/")}, tmp_path / f"out{i}", tmp_path, settings),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    crawls = []
    for i, proc in enumerate(procs):
        _, log = proc.communicate(timeout=300)
        crawls.append(finished(proc.returncode, log, tmp_path / f"out{i}"))
    return crawls


def test_two_crawls_share_the_frontier_and_emit_every_article_once(
    harbour: NewsSite,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    harbour.delay = 0.4  # one crawl alone would take longer than the other's first poll
    crawls = crawl_together(harbour, redis_server, tmp_path, 2)
    for c in crawls:
        assert c.returncode == 0, c.log[-3000:]
        assert "ScrapyDeprecationWarning" not in c.log
    first, second = (c.emitted for c in crawls)
    assert not first & second
    assert first | second == emittable(harbour)
    # The work was shared, and no page was downloaded twice.
    assert all(c.stat("scheduler/dequeued/redis") > 0 for c in crawls)
    answered = [p for p, status in harbour.log if status == 200 and p != "/robots.txt"]
    assert len(answered) == len(set(answered))
    # Both wrote into the one grouping state.
    client = redis.Redis.from_url(redis_server.url(0))
    keys = client.scan_iter("newsdedup:doc:*")
    stored = {k.decode().removeprefix("newsdedup:doc:") for k in keys}
    ids = {a["id"] for c in crawls for a in c.articles}
    assert stored == ids and len(ids) == len(first | second)
    # The last to finish cleared the frontier.
    assert redis.Redis.from_url(redis_server.url(1)).keys("site:*") == []


def test_the_last_crawl_clears_the_frontier_and_the_next_finds_everything_known(
    harbour: NewsSite,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    (done,) = crawl_together(harbour, redis_server, tmp_path / "first", 1)
    assert done.returncode == 0 and done.emitted == emittable(harbour)
    frontier = redis.Redis.from_url(redis_server.url(1))
    assert frontier.keys("site:*") == []
    (again,) = crawl_together(harbour, redis_server, tmp_path / "again", 1)
    assert again.returncode == 0, again.log[-3000:]
    # A new crawl generation: the site is read again from its start URLs, and no article page
    # an earlier run emitted is downloaded again (the seen-URL set lives in the Redis state).
    assert again.stat("scheduler/dequeued/redis") > 0
    assert again.stat("newsdedup/skipped/seen") == len(emittable(harbour))
    assert again.stat("newsdedup/pages/article") == 0
    assert again.stat("newsdedup/written") == 0 and again.emitted == set()


def test_a_crawl_starting_alone_clears_what_a_killed_crawl_left(
    harbour: NewsSite,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    frontier = redis.Redis.from_url(redis_server.url(1))
    # A killed crawl's leftovers: its start page marked seen, its liveness long expired.
    seen = DupeFilter(frontier, "site:dupefilter")
    assert not seen.request_seen(Request(harbour.url("/")))
    frontier.zadd("site:requests:crawls", {"dead:1:abc": 1.0})
    (crawl,) = crawl_together(harbour, redis_server, tmp_path, 1)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.emitted == emittable(harbour)


def test_a_crawl_whose_redis_goes_away_stops_downloading_and_exits_2(
    harbour: NewsSite, tmp_path: Path
) -> None:
    """The state's server stops mid-crawl: one error line, the spider closed (the requests
    already queued are dropped), nothing committed, exit status 2 for cron to see (it used to
    log a traceback per request and exit 0)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        harbour.delay = 0.3
        log = tmp_path / "crawl.log"
        with log.open("w") as sink:
            proc = subprocess.Popen(
                command(
                    "site",
                    {"url": harbour.url("/")},
                    tmp_path / "out",
                    tmp_path,
                    {
                        "NEWSDEDUP_STATE": server.url(0),
                        "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
                    },
                ),
                cwd=ROOT,
                env=environment(),
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
            deadline = time.monotonic() + 60
            while len(harbour.log) < 4 and time.monotonic() < deadline:
                time.sleep(0.1)
            server.stop()
            assert proc.wait(timeout=120) == 2
        text = log.read_text()
        errors = [line for line in text.splitlines() if "newsdedup: error:" in line]
        assert len(errors) == 1, text[-3000:]
        assert "Redis" in errors[0] and "Traceback" not in text
        assert "Error downloading" not in text  # requests after it are turned away quietly
        assert not (tmp_path / "out" / "articles.jsonl").exists()
    finally:
        server.stop()
