"""Crawl hygiene as Scrapy middlewares: where a crawl may go, what it skips, what it counts.

Enabled in ``pipeline.settings``. Each one counts what it turns away under ``newsdedup/...`` in
``crawler.stats`` so that the end-of-crawl stats say why a page was never fetched:

- ``CrawlScope`` (spider middleware): marks the operator's start requests, and drops links
  whose scheme is not http(s) (``file:``, ``data:``, ``ftp:`` ...): ``filtered/scheme``.
- ``AddressGuard`` (downloader middleware): refuses requests to loopback, private, link-local
  and other non-public addresses (``blocked/private_address``) and non-http(s) requests
  (``blocked/scheme``), including redirects, unless ``NEWSDEDUP_ALLOW_PRIVATE`` is set.
  A start request is exempt, since the operator named it; its redirects and links are not.
- ``SeenSkip`` (downloader middleware): does not download an article page that an earlier run
  already emitted (``skipped/seen``); start requests are always fetched.
- ``OversizeDrop`` (downloader middleware): a page over ``DOWNLOAD_MAXSIZE`` is a counted
  drop (``dropped/too_large``) with an INFO line instead of a download error.
- ``ArticleFingerprinter`` (``REQUEST_FINGERPRINTER_CLASS``): a request is known by its URL's
  normal form (``pipeline.document.canonical_url``), so that links differing only in tracking
  parameters, percent-encoding or a trailing slash fetch the page once, as the article gets one
  id from all of them.
- ``Retry`` and ``RobotsTxt``: Scrapy's RetryMiddleware and RobotsTxtMiddleware, logging what
  is routine on the web as such: a page that still fails after its retries is one INFO line
  (the spider counts it as a drop), a robots.txt that cannot be downloaded one WARNING line,
  without a traceback (the site is then crawled as if it had none, as Scrapy does).
- ``ValidatingPolicy`` and ``StateDirCacheStorage``: Scrapy's HTTP cache, revalidating pages
  instead of guessing they are still fresh, kept inside the state directory and written so
  that a killed crawl never leaves a half-written entry behind. The pages of articles a run
  saved leave it (``articles_saved``): ``SeenSkip`` turns them away before the cache on
  every later crawl, so their entries would only grow the cache.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import os
import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from pipeline.config import is_remote_state, scrapy_out_and_state
from pipeline.document import canonical_url
from pipeline.errors import NewsdedupError
from pipeline.seen import UrlStore, open_seen

log = logging.getLogger(__name__)

START = "newsdedup_start"  # request meta: the operator named this URL
HTTP_SCHEMES = frozenset({"http", "https"})
_DECLARED = "_newsdedup_declared_size"
_RECEIVED = "_newsdedup_received_size"


def request_key(request: Request) -> bytes:
    """What tells two requests apart: the method, the URL's normal form and the body (SHA-1)."""
    url = canonical_url(request.url)
    return hashlib.sha1(b"\0".join([request.method.encode(), url.encode(), request.body])).digest()


class ArticleFingerprinter:
    """Scrapy's request fingerprinter (duplicate filter, HTTP cache) on ``request_key``."""

    def __init__(self) -> None:
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleFingerprinter:
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        found = self._cache.get(request)
        if found is None:
            found = self._cache[request] = request_key(request)
        return found


def is_start(request: Request) -> bool:
    """A start request as the operator gave it (a redirect from it is no longer one)."""
    return bool(request.meta.get(START)) and not request.meta.get("redirect_urls")


FAILED = "newsdedup/failed"  # stat set when the crawl cannot commit: its exit status is 2
_FAILED_REASON = "failed"  # the spider's close reason then (Scrapy's finish_reason)


def crawl_stat(crawler: Crawler, key: str) -> object:
    """A stat of a crawl, or None (also when the crawl never started and so has no stats)."""
    try:
        stats = crawler.stats
    except RuntimeError:  # Scrapy 2.14+: the crawl never started
        return None
    return stats.get_value(key) if stats is not None else None


def crawl_failed(crawler: Crawler) -> bool:
    """Whether the crawl gave up (``fail_crawl``)."""
    return bool(crawl_stat(crawler, FAILED))


def fail_crawl(crawler: Crawler, err: NewsdedupError, stop: bool = False) -> None:
    """Record that the crawl cannot end well (its state is out of reach): one line in the
    log, the first time only, and a stat the ``crawl`` command turns into exit status 2.
    ``stop``: also close the spider, dropping the requests already queued."""
    if crawler.stats is None or crawl_failed(crawler):
        return
    crawler.stats.set_value(FAILED, 1)
    log.error("newsdedup: error: %s", err)
    engine = crawler.engine
    if stop and engine is not None and engine.spider is not None:
        if hasattr(engine, "close_spider_async"):  # Scrapy 2.14 and later
            deferred_from_coro(engine.close_spider_async(reason=_FAILED_REASON))
        else:
            engine.close_spider(engine.spider, reason=_FAILED_REASON)


class Counted(IgnoreRequest):
    """A request turned away by a newsdedup middleware, which counted it under its reason."""


def _inc(crawler: Crawler, key: str) -> None:
    if crawler.stats is not None:
        crawler.stats.inc_value(f"newsdedup/{key}")


class CrawlScope:
    """Marks start requests and drops links that are not http(s)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlScope:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            if isinstance(item, Request):
                item.meta[START] = True
            yield item

    def _keep(self, item: Any) -> bool:
        if not isinstance(item, Request) or urlsplit(item.url).scheme in HTTP_SCHEMES:
            return True
        _inc(self.crawler, "filtered/scheme")
        log.debug("not following non-http link %s", item.url[:200])
        return False

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterable[Any]:
        return (item for item in result if self._keep(item))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        async for item in result:
            if self._keep(item):
                yield item


def is_public(address: str) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Keeps a crawl of public sites from reaching private or loopback addresses.

    The host is resolved before the request is sent (a hostname that resolves to any
    non-public address is refused), and the address actually connected to is checked again
    on the response, which covers DNS answers that change between the two lookups.
    """

    def __init__(self, crawler: Crawler, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private
        self._public: dict[str, bool] = {}  # host -> every address public
        self._start_origins: set[tuple[str, str]] = set()
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        return cls(crawler, crawler.settings.getbool("NEWSDEDUP_ALLOW_PRIVATE"))

    def _exempt(self, request: Request) -> bool:
        parts = urlsplit(request.url)
        origin = (parts.scheme, parts.netloc.lower())
        if is_start(request):
            self._start_origins.add(origin)
            return True
        # The robots.txt of a start URL's server belongs with the start URL.
        return parts.path == "/robots.txt" and origin in self._start_origins

    async def process_request(
        self, request: Request, spider: Spider | None = None
    ) -> Response | None:
        if self._exempt(request):
            return None
        parts = urlsplit(request.url)
        if parts.scheme not in HTTP_SCHEMES:
            self._refuse(request, "blocked/scheme")
        if self.allow_private:
            return None
        host = parts.hostname or ""
        public = self._public.get(host)
        if public is None:
            public = await self._resolve(host, parts.port or 0)
            self._public[host] = public
        if not public:
            self._refuse(request, "blocked/private_address")
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        address = response.ip_address
        if (
            address is not None
            and not self.allow_private
            and not self._exempt(request)
            and not is_public(str(address))
        ):
            self._refuse(request, "blocked/private_address")
        return response

    @staticmethod
    async def _resolve(host: str, port: int) -> bool:
        try:
            return is_public(host)
        except ValueError:
            pass  # a name, not an address literal
        try:
            infos = await maybe_deferred_to_future(
                deferToThread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
            )
        except (OSError, UnicodeError):
            return True  # unresolvable: the download fails on its own, with Scrapy's error
        return all(is_public(str(info[4][0])) for info in infos)

    def _refuse(self, request: Request, key: str) -> None:
        _inc(self.crawler, key)
        if key == "blocked/private_address" and not self._warned:
            # a crawl of a local or intranet site would otherwise find nothing without a word
            self._warned = True
            log.warning(
                "%s %s: a local or private address; to crawl such a site, set "
                "-s NEWSDEDUP_ALLOW_PRIVATE=1 (further ones are counted, logged at INFO)",
                key,
                request.url[:200],
            )
        else:
            log.info("%s %s", key, request.url[:200])
        raise Counted(f"{key}: {request.url[:200]}")


class SeenSkip:
    """Skips downloading pages whose URL an earlier run emitted as an article.

    Only emitted articles are in the store, so listing, feed and sitemap pages are always
    fetched again and new articles are found on them. An emitted article whose sitemap
    ``lastmod`` or feed date has moved since is skipped too: updates are not picked up.
    """

    def __init__(self, crawler: Crawler, state: str) -> None:
        self.crawler = crawler
        self.state = state
        # Opened at the first request that needs it: this middleware is built before the
        # item pipeline checks the state (lock, settings), and a refused crawl must leave the
        # state as it was.
        self.store: UrlStore | None = None
        crawler.signals.connect(self._close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenSkip:
        return cls(crawler, _state(crawler.settings))

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if crawl_failed(self.crawler):
            # The run cannot be committed: download nothing more, let the crawl end.
            raise Counted(f"the crawl has failed: {request.url}")
        if is_start(request):
            return
        try:
            if self.store is None:
                self.store = open_seen(self.state)
            known = self.store.contains(request.url)
        except NewsdedupError as err:
            fail_crawl(self.crawler, err, stop=True)
            raise Counted(f"the crawl has failed: {request.url}") from None
        if not known:
            return
        _inc(self.crawler, "skipped/seen")
        log.debug("already emitted, not downloading %s", request.url)
        raise Counted(f"already emitted: {request.url}")


class OversizeDrop:
    """Turns a download cancelled for ``DOWNLOAD_MAXSIZE`` into a counted, logged drop.

    Scrapy cancels such a download either up front (a Content-Length over the limit) or
    part-way (a body that grows past it); the bytes counted here tell the second case apart
    from other cancellations.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self._headers, signal=signals.headers_received)
        crawler.signals.connect(self._bytes, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OversizeDrop:
        return cls(crawler)

    def _limit(self, request: Request) -> int:
        return int(request.meta.get("download_maxsize", self.maxsize))

    def _headers(self, headers: Any, body_length: Any, request: Request, spider: Spider) -> None:
        if isinstance(body_length, int):  # not Twisted's UNKNOWN_LENGTH
            request.meta[_DECLARED] = body_length

    def _bytes(self, data: bytes, request: Request, spider: Spider) -> None:
        request.meta[_RECEIVED] = request.meta.get(_RECEIVED, 0) + len(data)

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        limit = self._limit(request)
        if not limit or not isinstance(exception, DownloadCancelledError):
            return
        size = max(request.meta.get(_DECLARED, 0), request.meta.get(_RECEIVED, 0))
        if size <= limit:
            return
        _inc(self.crawler, "dropped/too_large")
        log.info("dropped/too_large %s (over %d bytes)", request.url, limit)
        raise Counted(f"too large: {request.url}")


class RetryAfter:
    """Honours the ``Retry-After`` of a 429 or 503 answer: the site's download slot sends
    nothing for that long (at most ``NEWSDEDUP_RETRY_AFTER_MAX`` seconds), the retry included.

    Scrapy's RetryMiddleware retries such answers at once. Here the slot's clock is moved: its
    last request is taken to have left ``wait`` seconds from now, so the slot's next request
    waits that long plus its usual delay. Nothing is changed that must be put back. In a
    crawl sharing its frontier (scrapy-redis), only this process waits.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.most = crawler.settings.getfloat("NEWSDEDUP_RETRY_AFTER_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfter:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status not in (429, 503) or self.crawler.engine is None:
            return response
        wait = retry_after(response.headers.get(b"Retry-After"), self.most)
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if not wait or slot is None:
            return response
        _inc(self.crawler, "retry_after/waits")
        log.info("%s asks to wait %.0f s (Retry-After): waiting", request.url[:200], wait)
        # The downloader's own clock: monotonic in current Scrapy, wall time in older ones,
        # told apart by which is nearer to the slot's last dispatch.
        now_mono, now_wall = time.monotonic(), time.time()
        now = (
            now_mono if abs(slot.lastseen - now_mono) < abs(slot.lastseen - now_wall) else now_wall
        )
        slot.lastseen = max(slot.lastseen, now + wait)
        if not slot.delay:
            # The downloader looks at the clock only for a slot with a delay; a millisecond
            # makes it look and costs nothing.
            slot.delay = 0.001
        return response


class Retry(RetryMiddleware):
    """Scrapy's RetryMiddleware, giving up with an INFO line rather than an ERROR one.

    A page that fails after its retries is routine: the spider's errback counts it as a drop
    (``http_status``, ``fetch_failed``), and warns of a start URL, feed or sitemap. Scrapy's own
    give-up logs at ERROR (set by ``RETRY_GIVE_UP_LOG_LEVEL`` only from Scrapy 2.17), which
    the README keeps for what stops a crawl. The retries themselves are Scrapy's.
    """

    def _retry(
        self, request: Request, reason: str | Exception | type[Exception], *args: Any
    ) -> Request | None:
        # *args: the spider, which Scrapy before 2.14 passes as well
        most = request.meta.get("max_retry_times", self.max_retry_times)
        if most is None:
            most = self.max_retry_times
        tries = request.meta.get("retry_times", 0) + 1
        if tries <= most:
            retried: Request | None = super()._retry(request, reason, *args)
            return retried
        if isinstance(reason, Exception):
            reason = f"{type(reason).__name__}: {reason}"
        elif isinstance(reason, type):
            reason = reason.__name__
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("retry/max_reached")
        _retry_log.info(
            "Gave up retrying %s (failed %d times): %s", request, tries, str(reason)[:200]
        )
        return None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler  # Scrapy before 2.14 does not keep it
        return middleware


_retry_log = logging.getLogger("scrapy.downloadermiddlewares.retry")


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with a robots.txt that cannot be downloaded (the site is
    down, the connection refused after the retries) as one WARNING line instead of an ERROR
    with a traceback. The site is then crawled as if it had no robots.txt, as Scrapy does;
    its pages' own failures are counted by the spiders.

    Scrapy logs every failure of its robots.txt request but ``IgnoreRequest``, and treats
    that as "no robots.txt": the failure is turned into one here, on its way back from the
    downloader, after it was logged once.
    """

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        if not _is_robots_request(request) or type(exception) is IgnoreRequest:
            return
        if isinstance(exception, IgnoreRequest):
            # Turned away by a newsdedup middleware, which counted it; Scrapy before 2.14
            # lets only IgnoreRequest itself pass unlogged.
            raise IgnoreRequest(str(exception)) from None
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"robotstxt/exception_count/{type(exception)}")
        log.warning(
            "robots.txt %s could not be downloaded (%s: %s): crawling the site as if it had none",
            request.url[:200],
            type(exception).__name__,
            str(exception)[:200],
        )
        raise IgnoreRequest(f"robots.txt could not be downloaded: {request.url[:200]}") from None


def _is_robots_request(request: Request) -> bool:
    """Whether ``request`` is RobotsTxtMiddleware's own (not a sitemap spider's start URL)."""
    return (
        bool(request.meta.get("dont_obey_robotstxt"))
        and request.callback is NO_CALLBACK
        and urlsplit(request.url).path == "/robots.txt"
    )


def retry_after(value: bytes | None, most: float) -> float:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), at most ``most``;
    0 when it is absent or unreadable."""
    if not value:
        return 0.0
    text = value.decode("latin-1").strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return 0.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds) or seconds <= 0:
        return 0.0
    return min(seconds, most)


class ValidatingPolicy(RFC2616Policy):
    """RFC 2616 caching without heuristic freshness: a cached page is reused without asking
    only when its server gave it a lifetime (``max-age``, ``Expires``); otherwise it is
    revalidated (``If-None-Match``/``If-Modified-Since``).

    The heuristic (a tenth of the time since ``Last-Modified``) would keep a yesterday-modified
    front page "fresh" for hours and hide the new articles on it from a scheduled crawl.
    """

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        cc = self._parse_cachecontrol(cachedresponse)
        if b"max-age" in cc or b"s-maxage" in cc or b"Expires" in cachedresponse.headers:
            return bool(super().is_cached_response_fresh(cachedresponse, request))
        self._set_conditional_validators(request, cachedresponse)
        return False


_TMP = ".tmp"

# Signal sent by the item pipeline once a run is saved, with ``urls``: the fetch and canonical
# URLs of its articles, which the seen-URL store now holds.
articles_saved = object()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _state(settings: BaseSettings) -> str:
    return scrapy_out_and_state(settings)[1]


class StateDirCacheStorage(FilesystemCacheStorage):
    """Scrapy's filesystem HTTP cache, kept in the state directory and written atomically.

    ``HTTPCACHE_DIR`` relative to ``NEWSDEDUP_STATE`` (absolute paths are used as they are;
    with a Redis state, relative to ``.scrapy/``).
    Each entry is written to a temporary folder and renamed into place: Scrapy's own storage
    writes its files one by one, and a crawl killed between two of them would leave an entry
    that fails every later read.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        cache = Path(settings.get("HTTPCACHE_DIR") or "httpcache")
        state = _state(settings)
        # A Redis state has no directory: the cache stays on this machine, as Scrapy's does.
        base = Path(".scrapy") if is_remote_state(state) else Path(state)
        self.cachedir = str(cache if cache.is_absolute() else base / cache)
        self._writing_to: str | None = None
        self._spider: Spider | None = None

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        self._spider = spider
        spider.crawler.signals.connect(self._forget, signal=articles_saved)
        # Entries a killed crawl was writing: their process is gone (a live one, a crawl on
        # the same machine sharing this cache, may still be writing its own).
        for tmp in Path(self.cachedir, spider.name).glob(f"*/*{_TMP}*"):
            pid = tmp.name.rpartition(_TMP)[2]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(tmp, ignore_errors=True)

    def _forget(self, urls: Iterable[str]) -> None:
        """Removes the entries of articles' pages, which no later crawl fetches again."""
        if self._spider is None:
            return
        for url in urls:
            try:
                path = self._get_request_path(self._spider, Request(url))
            except ValueError:  # not a URL a request can be made for
                continue
            shutil.rmtree(path, ignore_errors=True)

    def _get_request_path(self, spider: Spider, request: Request) -> str:
        if self._writing_to is not None:
            return self._writing_to
        return super()._get_request_path(spider, request)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        final = Path(self._get_request_path(spider, request))
        tmp = final.with_name(f"{final.name}{_TMP}{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        self._writing_to = str(tmp)
        try:
            super().store_response(spider, request, response)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # the entry before it stays whole
            raise
        finally:
            self._writing_to = None
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
