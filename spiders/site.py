"""Crawl whole news sites: ``scrapy crawl site -a url=https://example.com/``.

Follows links within the start URLs' sites (registered domains: ``www.`` and other subdomains
included) up to ``-a depth=N`` links away (default 3). Every page is read by
``pipeline.pagetype.classify``: articles are emitted, listings (home, section, tag, author and
paginated pages) are only followed. ``-a allow=REGEX`` / ``-a deny=REGEX`` restrict which links
are followed (the start URLs are always fetched).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError
from pipeline.fetch import document, page_html, site_of
from pipeline.pagetype import classify
from spiders.base import UrlSpider, fetch_failure

log = logging.getLogger(__name__)

DEFAULT_DEPTH = 3
_SCOPE = "newsdedup_site"  # request meta: the crawled site a link was followed for


class SiteSpider(UrlSpider):
    name = "site"
    custom_settings = {"DEPTH_LIMIT": DEFAULT_DEPTH}

    def __init__(
        self,
        url: str = "",
        allow: str | None = None,
        deny: str | None = None,
        depth: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, *args, **kwargs)
        self.sites = {site_of(u) for u in self.start_urls}
        try:
            self.links = LinkExtractor(allow=allow or (), deny=deny or ())
        except re.error as err:
            raise NewsdedupError(f"bad allow/deny pattern: {err}") from None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        depth = kwargs.get("depth")
        if depth is not None:
            if not str(depth).isdigit():
                raise NewsdedupError(f"depth must be a whole number, not {depth!r}")
            # Settings are still open while the spider is built; DepthMiddleware reads them later.
            crawler.settings.set("DEPTH_LIMIT", int(depth), priority="cmdline")
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        return spider

    def _link_failed(self, failure: Failure) -> None:
        """A link that could not be fetched may have been a listing or nothing at all: only a
        page too large once decompressed is counted (one too large as sent is counted by the
        crawl's middleware, for every spider)."""
        drop = fetch_failure(failure)
        if drop is not None and drop.reason == "too_large":
            self._dropped(drop)

    def _in_scope(self, response: Response) -> bool:
        """Whether a page, after its redirects, is on one of the sites crawled. A start URL
        that redirects to another site (a domain that moved) brings that site into the crawl;
        any other page redirected off the sites is left out."""
        site = site_of(response.url)
        if site in self.sites:
            return True
        # The site a link was followed for travels with its request: a crawl sharing its
        # frontier with this one may have added a site (below) that this process has not.
        if response.meta.get("depth", 0) == 0 or response.meta.get(_SCOPE) == site:
            if response.meta.get("depth", 0) == 0:
                log.info("start URL redirected to %s: crawling that site", response.url)
            self.sites.add(site)
            return True
        self._count("filtered/off_site")
        log.info("not crawling %s: redirected off the site", response.url)
        return False

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Document | scrapy.Request]:
        if not self._in_scope(response):
            return
        html = page_html(response)
        if isinstance(html, Drop):
            self._dropped(html)
            return
        assert isinstance(response, HtmlResponse)  # page_html lets nothing else through
        verdict = classify(response.url, html)
        if verdict.is_article:
            self._count("pages/article")
            yield document(response, html=html)
        else:
            self._count("pages/listing")
            log.debug("listing %s %s", response.url, " ".join(verdict.reasons))
        for link in self.links.extract_links(response):
            site = site_of(link.url)
            if site in self.sites:
                yield response.follow(
                    link.url, callback=self.parse, errback=self._link_failed, meta={_SCOPE: site}
                )
