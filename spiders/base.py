"""What the spiders started from ``-a url=...`` share: their start requests and stat counters.

The class has no ``name``, so Scrapy does not list it as a spider of its own.
"""

from __future__ import annotations

import html.entities
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.crawl import Counted
from pipeline.errors import Drop
from pipeline.fetch import since_date, url_list

log = logging.getLogger(__name__)


class UrlSpider(scrapy.Spider):
    """Starts from ``-a url=URL[,URL...]`` and counts what it sees under ``newsdedup/``."""

    def __init__(self, url: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = url_list(url, self.name)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self._source_failed)

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"newsdedup/{key}", count)

    def _entry_failed(self, failure: Failure) -> None:
        """Errback of a feed or sitemap entry: an article page that could not be fetched is a
        counted drop (``http_status``, ``too_large``, ``robots_txt``, ``fetch_failed``)."""
        drop = fetch_failure(failure)
        if drop is not None:
            self._dropped(drop)

    def _source_failed(self, failure: Failure) -> None:
        """Errback of a start URL, a feed or a sitemap: nothing it lists is read, so it is a
        counted drop as an entry is, and a warning even without ``-v`` (a dead feed must not
        pass for a quiet one)."""
        drop = fetch_failure(failure)
        if drop is not None:
            self._count(f"dropped/{drop.reason}")
        # None: a newsdedup middleware turned it away and counted it (too large, blocked)
        what = drop if drop is not None else failure.value
        log.warning("%s: a start URL, feed or sitemap, so nothing it lists was read", what)

    def _dropped(self, drop: Drop) -> None:
        """A page dropped before it became an item; the item pipeline adds it to the run."""
        self._count(f"dropped/{drop.reason}")
        log.info("%s", drop)


class DatedUrlSpider(UrlSpider):
    """A ``UrlSpider`` that also takes ``-a since=YYYY-MM-DD``: entries dated before are skipped."""

    def __init__(self, url: str = "", since: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(url, *args, **kwargs)
        self.since = since_date(since)


def local_name(el: Any) -> str:
    """An XML element's tag name without its namespace, or without its prefix when the prefix
    was undeclared (the recovering parser then keeps ``news:news`` as the whole name)."""
    tag = el.tag
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""


# Feeds and sitemaps are untrusted XML: no entities, no network, no DTDs, no huge trees; and
# parsed leniently, since malformed ones are common.
SAFE_XML: dict[str, bool] = dict(
    recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def fetch_failure(failure: Failure) -> Drop | None:
    """Why a request came to nothing, as a drop; None when a newsdedup middleware turned it
    away (and counted it already)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    url = request.url if request is not None else ""
    if isinstance(exc, Counted):
        return None
    if isinstance(exc, HttpError):
        return Drop("http_status", exc.response.url, f"HTTP {exc.response.status}")
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "DOWNLOAD_MAXSIZE" in message:  # Scrapy's own check while decompressing a body
            return Drop("too_large", url, "over DOWNLOAD_MAXSIZE once decompressed")
        if "robots.txt" in message:
            return Drop("robots_txt", url)
        return Drop("fetch_failed", url, message[:200])
    return Drop("fetch_failed", url, f"{type(exc).__name__}: {str(exc)[:200]}")


# An ampersand that does not start a character reference, or a named one: HTML's names
# (&nbsp;, &eacute;) are not XML's, and a bare "&" (a query string) is not XML at all.
_AMPERSAND = re.compile(rb"&(#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|([A-Za-z][A-Za-z0-9]{0,31});)?")
_XML_NAMES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def mend_xml(body: bytes) -> bytes:
    """``body`` with what feeds and sitemaps commonly get wrong mended: bare ampersands (a
    query string's) escaped, HTML entities (``&nbsp;``) as character references. CDATA
    sections, where both are plain text, are left as they are."""
    out: list[bytes] = []
    pos = 0
    while pos < len(body):
        start = body.find(b"<![CDATA[", pos)
        if start < 0:
            start = len(body)
        out.append(_AMPERSAND.sub(_mend_ampersand, body[pos:start]))
        if start == len(body):
            break
        end = body.find(b"]]>", start)
        end = len(body) if end < 0 else end + 3
        out.append(body[start:end])
        pos = end
    return b"".join(out)


def _mend_ampersand(match: re.Match[bytes]) -> bytes:
    name = match.group(2)
    if match.group(1) is None:
        return b"&amp;"  # a bare ampersand
    if name is None or name in _XML_NAMES:
        return match.group(0)  # a character reference, or one of XML's own five
    code = html.entities.name2codepoint.get(name.decode("ascii"))
    return f"&#{code};".encode("ascii") if code is not None else b"&amp;" + name + b";"
