"""Articles from RSS 2.0, RSS 1.0 and Atom feeds: ``scrapy crawl feed -a url=FEED_OR_PAGE``.

Given an HTML page instead of a feed, follows the feeds it advertises with
``<link rel="alternate" type="application/rss+xml|application/atom+xml">``. Every entry's
link is fetched and emitted (a feed lists posts, so no page-type guess is made); the entry's
title and date travel with it. ``-a since=YYYY-MM-DD`` skips entries dated before that day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.etree
import scrapy
from scrapy.http import Response, TextResponse

from pipeline.dates import is_older, iso, parse_when
from pipeline.document import Document
from pipeline.fetch import document
from spiders.base import SAFE_XML, DatedUrlSpider, local_name

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True, slots=True)
class Entry:
    link: str
    title: str | None = None
    published: str | None = None  # as written in the feed


class FeedSpider(DatedUrlSpider):
    name = "feed"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """A feed, or a page that links to its feeds."""
        root = parse_feed(response.body)
        if root is not None:
            yield from self._entries(response, root)
            return
        if not isinstance(response, TextResponse):
            self._count("dropped/bad_feed")
            log.warning("dropped/bad_feed %s: neither a feed nor a page", response.url)
            return
        links = response.xpath("//link[@href and contains(@rel, 'alternate')]")
        hrefs = [
            link.attrib["href"]
            for link in links
            if (link.attrib.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES
        ]
        if not hrefs:
            self._count("dropped/bad_feed")
            log.warning("dropped/bad_feed %s: a page that names no feed", response.url)
        for href in hrefs:
            yield response.follow(href, callback=self.parse_feed)

    def parse_feed(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        root = parse_feed(response.body)
        if root is None:
            self._count("dropped/bad_feed")
            log.warning("dropped/bad_feed %s: not a feed", response.url)
            return
        yield from self._entries(response, root)

    def _entries(self, response: Response, root: lxml.etree._Element) -> Iterator[scrapy.Request]:
        for entry in feed_entries(root):
            if is_older(parse_when(entry.published), self.since):
                self._count("skipped/older")
                continue
            yield response.follow(entry.link, callback=self.parse_entry, cb_kwargs={"entry": entry})

    def parse_entry(self, response: Response, entry: Entry) -> Iterator[Document]:
        if not isinstance(response, TextResponse):
            self._count("dropped/not_html")
            log.info("dropped/not_html %s", response.url)
            return
        self._count("pages/article")
        yield document(response, title=entry.title, published=iso(parse_when(entry.published)))


def parse_feed(body: bytes) -> lxml.etree._Element | None:
    """The feed's root element, or None when ``body`` is not an RSS or Atom feed."""
    head = body[:2048].lstrip().lower()
    if not head.startswith(b"<") or not any(t in head for t in (b"<rss", b"<feed", b"<rdf")):
        return None
    parser = lxml.etree.XMLParser(**SAFE_XML)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError:
        return None
    if root is None or local_name(root).lower() not in {"rss", "feed", "rdf"}:
        return None
    return root


def feed_entries(root: lxml.etree._Element) -> Iterator[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed that have a link."""
    for item in root.iter("item", f"{RSS1}item"):
        link = _text(item, "link", f"{RSS1}link")
        guid = item.find("guid")
        if not link and guid is not None and guid.get("isPermaLink", "true") == "true":
            link = (guid.text or "").strip()
        if link:
            yield Entry(
                link,
                _text(item, "title", f"{RSS1}title"),
                _text(item, "pubDate", f"{DC}date"),
            )
    for item in root.iter(f"{ATOM}entry"):
        link = ""
        for el in item.iter(f"{ATOM}link"):
            if el.get("rel", "alternate") == "alternate" and el.get("href"):
                link = el.get("href", "").strip()
                break
        if link:
            yield Entry(
                link,
                _text(item, f"{ATOM}title"),
                _text(item, f"{ATOM}published", f"{ATOM}updated"),
            )


def _text(el: lxml.etree._Element, *tags: str) -> str | None:
    for tag in tags:
        found = el.find(tag)
        if found is not None and found.text and found.text.strip():
            return str(found.text.strip())
    return None
