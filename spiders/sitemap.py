"""Articles listed in sitemaps: ``scrapy crawl sitemap -a url=https://example.com/robots.txt``.

Takes sitemap indexes, sitemaps (plain or gzipped) and robots.txt files (the sitemaps they
list). Entries of a Google News sitemap are articles by the publisher's word and are emitted
with their ``news:title`` and ``news:publication_date``; entries of a plain sitemap (which also
lists sections and other pages) are emitted only when ``pipeline.pagetype`` calls them articles
(the others are ``not_article`` drops).
``-a since=YYYY-MM-DD`` skips entries, and whole child sitemaps, last modified or published
before that day.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any, NamedTuple

import lxml.etree
import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import sitemap_urls_from_robots

from pipeline.charset import xml_as_utf8
from pipeline.dates import is_older, iso, parse_when
from pipeline.document import Document
from pipeline.errors import Drop
from pipeline.fetch import declared_charset, document, page_html
from pipeline.pagetype import classify
from spiders.base import SAFE_XML, DatedUrlSpider, local_name, mend_xml

log = logging.getLogger(__name__)

# sitemaps.org allows a sitemap 50 MB uncompressed (50,000 URLs), more than the page limit
# (DOWNLOAD_MAXSIZE) may be: sitemaps get at least that, so a large publisher's are read.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None
    news_title: str | None = None
    news_published: str | None = None

    @property
    def is_news(self) -> bool:
        return self.news_title is not None  # "" for a news entry without a title

    @property
    def date(self) -> str | None:
        return self.news_published or self.lastmod


class SitemapSpider(DatedUrlSpider):
    name = "sitemap"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield self._sitemap(url)

    def _sitemap(self, url: str) -> scrapy.Request:
        """A request for a robots.txt, sitemap index or sitemap."""
        return scrapy.Request(
            url, callback=self.parse, errback=self._source_failed, meta=self._sitemap_meta()
        )

    def _sitemap_meta(self) -> dict[str, int]:
        """A sitemap request's size limit: the page limit, but never under 50 MB (0, no
        limit, stays 0)."""
        pages = self.settings.getint("DOWNLOAD_MAXSIZE")
        return {"download_maxsize": max(pages, SITEMAP_MAX_BYTES) if pages else 0}

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """A robots.txt, a sitemap index or a sitemap."""
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield self._sitemap(url)
            return
        body = self._body(response)
        if body is None:
            return
        kind, entries, damage, skipped = read_sitemap(body)
        if kind is None:
            self._count("dropped/bad_sitemap")
            log.warning("dropped/bad_sitemap %s: not a sitemap", response.url)
            return
        if damage:
            self._count("sitemaps/malformed")
            self._count("sitemaps/skipped_entries", skipped)
            log.warning(
                "malformed sitemap %s (%s): %d entries read, %d damaged ones skipped",
                response.url,
                damage,
                len(entries),
                skipped,
            )
        for entry in entries:
            if is_older(parse_when(entry.date), self.since):
                self._count("skipped/older")
                continue
            if kind == "sitemapindex":
                yield response.follow(
                    entry.loc,
                    callback=self.parse,
                    errback=self._source_failed,
                    meta=self._sitemap_meta(),
                    encoding="utf-8",
                )
            else:
                yield response.follow(
                    entry.loc,
                    callback=self.parse_page,
                    cb_kwargs={"entry": entry},
                    errback=self._entry_failed,
                    encoding="utf-8",  # not a UTF-16 sitemap's own: headers are encoded with it
                )

    def parse_page(self, response: Response, entry: SitemapEntry) -> Iterator[Document]:
        html = page_html(response)
        if isinstance(html, Drop):
            self._dropped(html)
            return
        if not entry.is_news:
            verdict = classify(response.url, html)
            if not verdict.is_article:
                # An entry the crawl fetched and found to be no article: a counted drop, in
                # the run summary as every other entry is.
                self._count("pages/listing")
                log.debug("listing %s %s", response.url, " ".join(verdict.reasons))
                self._dropped(Drop("not_article", response.url, "a listing page"))
                return
        self._count("pages/article")
        yield document(
            response,
            html=html,
            title=entry.news_title,
            published=iso(parse_when(entry.news_published)),
        )

    def _body(self, response: Response) -> bytes | None:
        """The sitemap's XML, decompressed and in UTF-8 (``pipeline.charset.xml_as_utf8``)."""
        if not gzip_magic_number(response):
            return xml_as_utf8(response.body, declared_charset(response))
        limit = int(response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE")))
        try:
            return xml_as_utf8(gunzip(response.body, max_size=limit))
        except (OSError, EOFError, struct.error, ValueError) as err:
            # ValueError covers Scrapy's "decompressed size over the limit"
            self._count("dropped/bad_sitemap")
            log.warning("dropped/bad_sitemap %s: cannot decompress: %s", response.url, err)
            return None


class Sitemap(NamedTuple):
    """What a sitemap body holds. ``kind`` is ``"sitemapindex"``, ``"urlset"`` or None (neither).

    ``damage`` is the parser's first complaint about malformed XML (a truncated download, a
    bare ``&``): ``entries`` are then the ones that read cleanly on their own, ``skipped`` the
    damaged ones.
    """

    kind: str | None
    entries: list[SitemapEntry]
    damage: str | None = None
    skipped: int = 0


_ROOT = re.compile(rb"<(?:[\w.-]+:)?(?:urlset|sitemapindex)\b([^>]*)>")
_OPEN = re.compile(rb"<(?:[\w.-]+:)?(?:url|sitemap)[\s>]")
# An entry runs to its closing tag, never past the next entry's opening tag: one missing
# ``</url>`` loses one entry, not the next, and the scan stays linear in the body.
_WHOLE = re.compile(
    rb"<(?:[\w.-]+:)?(url|sitemap)[\s>](?:(?!<(?:[\w.-]+:)?(?:url|sitemap)[\s>]).)*?"
    rb"</(?:[\w.-]+:)?\1\s*>",
    re.S,
)


def read_sitemap(body: bytes) -> Sitemap:
    """The entries of a sitemap index or sitemap, read leniently.

    A well-formed body is read in one streaming pass. A malformed one is mended first (a bare
    ``&`` in a URL, an HTML entity: ``mend_xml``), which usually makes it well-formed. What
    is still damaged is read again entry by entry: the recovering parser mangles what it
    repairs (a cut-off download ends in half a URL), and lxml reports its errors in batches
    rather than as each entry ends, so only an entry that parses cleanly on its own is kept.
    """
    kind, entries, damage = _stream(body)
    if kind is None:
        return Sitemap(None, [])
    if damage is None:
        return Sitemap(kind, entries)
    mended = mend_xml(body)
    if mended != body:
        again, entries, still = _stream(mended)
        if again == kind and still is None:
            return Sitemap(kind, entries)
        body = mended
    entries, skipped = _entry_by_entry(body)
    return Sitemap(kind, entries, damage, skipped)


def _damage(log: Any) -> str | None:
    """The first error that is more than an undeclared namespace prefix (``news:`` without
    its ``xmlns:news``, a common slip that loses nothing)."""
    return next((e.message for e in log if e.domain_name != "NAMESPACE"), None)


def _stream(body: bytes) -> tuple[str | None, list[SitemapEntry], str | None]:
    events = lxml.etree.iterparse(
        BytesIO(body), events=("start", "end"), remove_comments=True, **SAFE_XML
    )
    kind: str | None = None
    entries: list[SitemapEntry] = []
    try:
        for event, el in events:
            name = local_name(el)
            if kind is None:
                if name not in {"sitemapindex", "urlset"}:
                    return None, [], None
                kind = name
                continue
            if event == "end" and name in {"url", "sitemap"}:
                entry = _entry(el)
                el.clear(keep_tail=False)
                if entry is not None:
                    entries.append(entry)
    except lxml.etree.XMLSyntaxError as err:
        return kind, entries, _damage(events.error_log) or str(err)
    return kind, entries, _damage(events.error_log)


def _entry_by_entry(body: bytes) -> tuple[list[SitemapEntry], int]:
    """Each ``<url>``/``<sitemap>`` element of ``body`` parsed alone, under the root's
    namespace declarations; with the number of damaged ones (an entry never closed counts)."""
    root = _ROOT.search(body)
    attributes = root.group(1).rstrip(b"/") if root else b""
    parser = lxml.etree.XMLParser(remove_comments=True, **SAFE_XML)
    entries: list[SitemapEntry] = []
    skipped = 0
    end = root.end() if root else 0
    for match in _WHOLE.finditer(body, end):
        skipped += len(_OPEN.findall(body, end, match.start()))  # entries never closed
        end = match.end()
        try:
            wrapper = lxml.etree.fromstring(b"<r" + attributes + b">" + match[0] + b"</r>", parser)
        except lxml.etree.XMLSyntaxError:
            wrapper = None
        if wrapper is None or len(wrapper) != 1 or _damage(parser.error_log):
            skipped += 1
            continue
        entry = _entry(wrapper[0])
        if entry is not None:
            entries.append(entry)
    skipped += len(_OPEN.findall(body, end))  # the last ones, cut off
    return entries, skipped


def _entry(el: lxml.etree._Element) -> SitemapEntry | None:
    fields: dict[str, str] = {}
    news: dict[str, str] = {}
    for child in el:
        name = local_name(child)
        if name in {"loc", "lastmod"} and child.text and child.text.strip():
            fields[name] = child.text.strip()
        elif name == "news":
            news["news"] = ""
            for sub in child.iter():
                field = local_name(sub)
                if field in {"title", "publication_date"} and sub.text and sub.text.strip():
                    news[field] = sub.text.strip()
    loc = fields.get("loc")
    if not loc:
        return None
    return SitemapEntry(
        loc=loc,
        lastmod=fields.get("lastmod"),
        news_title=news.get("title", "") if news else None,
        news_published=news.get("publication_date") if news else None,
    )
