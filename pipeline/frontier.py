"""A crawl frontier shared by several ``scrapy crawl`` processes, through scrapy-redis.

scrapy-redis's scheduler keeps the request queue in Redis and its dupefilter the fingerprints
of every request ever queued (method, canonical URL, body), so each URL is fetched by exactly
one of the processes. Its spider mixin is not used: it relies on ``start_requests``, which
Scrapy removed; our spiders' ``start()`` requests go through the shared dupefilter like any
other, so the first process to start queues the start URLs and the others find them seen.

``Scheduler`` is scrapy-redis's, without the calls Scrapy 2.19 deprecated (scrapy-redis 0.9.1
passes ``spider`` to ``inc_value`` and logs through ``Spider.log``).

A process goes idle when its own queue share is empty, yet another process may be about to
queue the links of the page it is parsing. ``SharedFrontier`` keeps an idle crawl open while
the queue holds requests or another process has been busy within ``NEWSDEDUP_FRONTIER_GRACE``
seconds, so the work spreads over every process and none stops early. Each process marks
itself busy in ``<queue key>:busy`` and alive in ``<queue key>:crawls`` (sorted sets of
process tokens, scored by time).

The frontier outlives each process (``SCHEDULER_PERSIST``): the first crawl to finish must not
wipe what the others still use. It lives as long as one crawl using it is alive: the last to
close deletes the queue and the dupefilter, and a crawl that starts while no other is alive
(within ``NEWSDEDUP_FRONTIER_GRACE`` seconds) deletes what a killed one left. So every crawl
generation starts from its start URLs and finds the new articles; a killed crawl is not
resumed (its queue may have lost the requests it had taken, and its dupefilter names pages
whose articles it never wrote), it is redone, and the grouping state knows every article
written before.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy.utils.misc import load_object
from scrapy_redis import scheduler
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

from pipeline.crawl import request_key

log = logging.getLogger(__name__)

DEFAULT_GRACE = 60.0  # longer than a download may take (DOWNLOAD_TIMEOUT) with its retries


class DupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's shared duplicate filter, with requests known as a single crawl knows them
    (``pipeline.crawl.request_key``: the URL's normal form)."""

    def request_fingerprint(self, request: Request) -> str:
        return request_key(request).hex()


class Scheduler(scheduler.Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler: the queue and the dupefilter in Redis."""

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if getattr(self, "df", None) is None:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if len(self.queue):
            log.info("joining a shared crawl: %d requests queued", len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request: Request | None = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


# A frontier no live crawl uses is spent: its queue may have lost requests that a killed crawl
# had taken, and its dupefilter names pages whose articles were never written.
_CLEAR = """
if redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf') == 0 then
    return redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
return -1
"""


class SharedFrontier:
    """Keeps a crawl open while the shared frontier may still grow, and clears the frontier
    when the last crawl finishes (see the module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.grace = crawler.settings.getfloat("NEWSDEDUP_FRONTIER_GRACE", DEFAULT_GRACE)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.busy_key = self.live_key = ""
        self.frontier: list[str] = []
        self._marked = 0.0
        self._clear = self.server.register_script(_CLEAR)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.busy, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.busy, signal=signals.response_received)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontier:
        used = load_object(crawler.settings.get("SCHEDULER"))
        if not (isinstance(used, type) and issubclass(used, scheduler.Scheduler)):
            raise NotConfigured("the frontier is not shared")
        return cls(crawler)

    def opened(self, spider: Spider) -> None:
        used = self.crawler.engine.scheduler if self.crawler.engine else None
        queue_key = spider.name
        if isinstance(used, scheduler.Scheduler):
            self.frontier = [used.queue.key, used.df.key]
            queue_key = used.queue.key
        self.busy_key, self.live_key = f"{queue_key}:busy", f"{queue_key}:crawls"
        self._spent()
        self.server.zadd(self.live_key, {self.token: time.time()})
        self.busy()

    def _spent(self) -> None:
        """Delete the frontier when no other crawl is alive: this one starts afresh."""
        if self.frontier:
            keys = [self.live_key, *self.frontier, self.busy_key]
            if self._clear(keys=keys, args=[time.time() - self.grace]) > 0:
                log.info("frontier: no other crawl alive; cleared %s", ", ".join(self.frontier))

    def busy(self, *args: Any, **kwargs: Any) -> None:
        now = time.time()
        if now - self._marked >= 1.0:
            pipe = self.server.pipeline(transaction=False)
            pipe.zadd(self.busy_key, {self.token: now})
            pipe.zadd(self.live_key, {self.token: now})
            pipe.execute()
            self._marked = now

    def idle(self, spider: Spider) -> None:
        now = time.time()
        pipe = self.server.pipeline(transaction=False)
        pipe.zrem(self.busy_key, self.token)
        pipe.zadd(self.live_key, {self.token: now})
        pipe.execute()
        self._marked = 0.0
        used = self.crawler.engine.scheduler if self.crawler.engine else None
        if used is not None and used.has_pending_requests():
            raise DontCloseSpider("the shared frontier holds requests")
        others = self.server.zrangebyscore(self.busy_key, now - self.grace, "+inf")
        if others:
            log.debug("frontier: %d other crawls busy, staying open", len(others))
            raise DontCloseSpider("another crawl may still add requests")

    def closed(self, spider: Spider) -> None:
        self.server.zrem(self.busy_key, self.token)
        self.server.zrem(self.live_key, self.token)
        self._spent()
