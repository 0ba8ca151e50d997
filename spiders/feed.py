"""Articles from RSS 2.0, RSS 1.0 and Atom feeds: ``scrapy crawl feed -a url=FEED_OR_PAGE``.

Given an HTML page instead of a feed, follows the feeds it advertises with
``<link rel="alternate" type="application/rss+xml|application/atom+xml">``. Every entry's
link is fetched and emitted (a feed lists posts, so no page-type guess is made); the entry's
title and date travel with it. ``-a since=YYYY-MM-DD`` skips entries dated before that day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import scrapy
from scrapy.http import Response, TextResponse

from pipeline.charset import xml_as_utf8
from pipeline.dates import is_older, iso, parse_when
from pipeline.document import Document
from pipeline.errors import Drop
from pipeline.fetch import declared_charset, document, page_html
from spiders.base import SAFE_XML, DatedUrlSpider, local_name, mend_xml

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_ROOTS = {"rss", "feed", "rdf"}
# How far into a response its root element is looked for (past an XML declaration,
# stylesheet instructions, comments and a doctype).
_SNIFF_BYTES = 1 << 16
_NAME = re.compile(rb"[A-Za-z_][\w.:-]*")
_STRICT_XML = {**SAFE_XML, "recover": False}


@dataclass(frozen=True, slots=True)
class Entry:
    link: str
    title: str | None = None
    published: str | None = None  # as written in the feed


class FeedSpider(DatedUrlSpider):
    name = "feed"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """A feed, or a page that links to its feeds."""
        root = parse_feed(_utf8_body(response), response.url)
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
            yield response.follow(href, callback=self.parse_feed, errback=self._source_failed)

    def parse_feed(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        root = parse_feed(_utf8_body(response), response.url)
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
            yield response.follow(
                entry.link,
                callback=self.parse_entry,
                cb_kwargs={"entry": entry},
                errback=self._entry_failed,
                encoding="utf-8",  # not a UTF-16 feed's own: headers are encoded with it
            )

    def parse_entry(self, response: Response, entry: Entry) -> Iterator[Document]:
        html = page_html(response)
        if isinstance(html, Drop):
            self._dropped(html)
            return
        self._count("pages/article")
        yield document(
            response, html, title=entry.title, published=iso(parse_when(entry.published))
        )


def _utf8_body(response: Response) -> bytes:
    """The response's body as UTF-8 XML: a UTF-16 feed, or one whose charset only the HTTP
    header gives, is read right (``pipeline.charset.xml_as_utf8``)."""
    return xml_as_utf8(response.body, declared_charset(response))


def parse_feed(body: bytes, base_url: str | None = None) -> lxml.etree._Element | None:
    """The feed's root element, or None when ``body`` is not an RSS or Atom feed.

    A feed that is not well-formed XML is read after mending what feeds commonly get wrong (a
    bare ``&`` in a link, HTML entities such as ``&nbsp;``), then leniently: the recovering
    parser alone would cut ``?a=1&b=2`` to ``?a=1=2`` and drop the text after ``&nbsp;``.
    ``base_url``: where the feed came from, so that ``xml:base`` can be resolved against it.
    """
    name = _root_name(body[:_SNIFF_BYTES])
    if name is None or name.rpartition(b":")[2].lower().decode() not in _ROOTS:
        return None
    root = _parse(body, _STRICT_XML, base_url)
    # A doctype can make "&nbsp;" well-formed, but entities are never resolved here (untrusted
    # input), and the text would be cut at each one: such a feed is read mended too.
    if root is None or next(root.iter(lxml.etree.Entity), None) is not None:
        log.debug("a feed that is not well-formed XML, read leniently: %s", base_url)
        root = _parse(mend_xml(body), SAFE_XML, base_url)
    if root is None or local_name(root).lower() not in _ROOTS:
        return None
    return root


def _parse(body: bytes, options: dict[str, bool], base_url: str | None) -> Any:
    try:
        return lxml.etree.fromstring(
            body, parser=lxml.etree.XMLParser(**options), base_url=base_url
        )
    except lxml.etree.XMLSyntaxError:
        return None


def _root_name(head: bytes) -> bytes | None:
    """The name of the first element of an XML document, past its prolog; None if there is
    none within ``head`` (an HTML page's is ``html``)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while True:
        while pos < len(head) and head[pos : pos + 1].isspace():
            pos += 1
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->"), (b"<!", b">")):
            if head.startswith(opener, pos):
                end = head.find(closer, pos + len(opener))
                subset = head.find(b"[", pos, end)
                if opener == b"<!" and subset >= 0:  # a doctype's internal subset
                    end = head.find(b">", head.find(b"]", subset))
                if end < 0:
                    return None
                pos = end + len(closer)
                break
        else:
            if not head.startswith(b"<", pos):
                return None
            match = _NAME.match(head, pos + 1)
            return match.group(0) if match else None


def feed_entries(root: lxml.etree._Element) -> Iterator[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed that have a link."""
    for item in root.iter("item", f"{RSS1}item"):
        link = _text(item, "link", f"{RSS1}link")
        guid = item.find("guid")
        if not link and guid is not None and guid.get("isPermaLink", "true") == "true":
            link = (guid.text or "").strip()
        if link:
            link = _resolved(item, link)
            yield Entry(
                link,
                _text(item, "title", f"{RSS1}title"),
                _text(item, "pubDate", f"{DC}date"),
            )
    for item in root.iter(f"{ATOM}entry"):
        link = ""
        for el in item.iter(f"{ATOM}link"):
            if el.get("rel", "alternate") == "alternate" and el.get("href"):
                link = _resolved(el, el.get("href", "").strip())
                break
        if link:
            yield Entry(
                link,
                _text(item, f"{ATOM}title"),
                _text(item, f"{ATOM}published", f"{ATOM}updated"),
            )


def _resolved(el: lxml.etree._Element, link: str) -> str:
    """``link`` resolved against the ``xml:base`` in force at ``el`` (Atom, RFC 4287), if any;
    what stays relative is resolved against the feed's URL when it is followed."""
    base = el.base
    return urljoin(base, link) if base else link


def _text(el: lxml.etree._Element, *tags: str) -> str | None:
    for tag in tags:
        found = el.find(tag)
        if found is not None and found.text and found.text.strip():
            return str(found.text.strip())
    return None
