"""What the spiders started from ``-a url=...`` share: their start requests and stat counters.

The class has no ``name``, so Scrapy does not list it as a spider of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy

from pipeline.fetch import since_date, url_list


class UrlSpider(scrapy.Spider):
    """Starts from ``-a url=URL[,URL...]`` and counts what it sees under ``newsdedup/``."""

    def __init__(self, url: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = url_list(url, self.name)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse)

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"newsdedup/{key}", count)


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
