"""Small news sites served on 127.0.0.1 for the crawl tests, rendered from ``*/articles/*.txt``.

A site has a home page, section pages (paginated), tag and author pages, an about page, article
pages with the usual chrome (navigation, share bar, donation box, related links, comments),
robots.txt, RSS and Atom feeds and a sitemap index with a gzipped Google News child sitemap.
Article headers switch on the traps a crawler must survive: ``old_path`` (a 301 from an old
URL), ``flaky: N`` (N answers of 500 before the page), ``padding: content-length|streamed``
(a page far over a small DOWNLOAD_MAXSIZE, with or without a Content-Length), ``listed:
section`` (reachable only through section pages, some of them paginated).

Every request is logged (``site.log``) so tests can count what a crawl downloaded; ``delay``
slows every answer down. Run one by hand: ``cd tests && python -m sites.server harbour 8001``.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sites import feeds, pages
from sites.content import Article, load_articles, slug

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 2
PADDING_BYTES = 300_000

SITES = {
    "harbour": {
        "name": "Harbourtown Herald",
        "sections": ["city", "business", "environment"],
        "robots": "User-agent: *\nDisallow: /private/\n",
        "extras": True,
    },
    "wire": {
        "name": "Coastal Wire Daily",
        "sections": ["news"],
        "robots": "User-agent: *\nDisallow:\n",
        "extras": False,
    },
}


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    streamed: bool = False
    validators: bool = True


class NewsSite:
    """One fixture site: renders pages and decides every answer."""

    def __init__(self, key: str) -> None:
        spec = SITES[key]
        self.key = key
        self.name = str(spec["name"])
        self.sections: list[str] = list(spec["sections"])  # type: ignore[call-overload]
        self.robots = str(spec["robots"])
        self.extras = bool(spec["extras"])
        self.articles = load_articles(HERE / key / "articles")
        self.origin = ""  # set when served
        self.delay = 0.0
        # Answers a test adds (odd feeds, odd pages); a list is answered in turn, its last
        # answer repeated.
        self.extra: dict[str, Reply | list[Reply]] = {}
        self.times: dict[str, list[float]] = {}  # path -> when each request came (monotonic)
        self.log: list[tuple[str, int]] = []
        self._served: Counter[str] = Counter()
        self._lock = threading.Lock()

    # -- bookkeeping ---------------------------------------------------------------------------
    def requested(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.log if p == path)

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.log]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def publish(self, folder: str) -> list[Article]:
        """Put the articles in ``<site>/<folder>/*.txt`` online, as a newsroom would."""
        new = load_articles(HERE / self.key / folder)
        with self._lock:
            self.articles = sorted(self.articles + new, key=lambda a: a.published, reverse=True)
        return new

    def article(self, path: str) -> Article:
        return next(a for a in self.articles if a.path == path)

    def url(self, path: str) -> str:
        return self.origin + path

    # -- routing -------------------------------------------------------------------------------
    def answer(self, path: str) -> Reply:
        with self._lock:
            self._served[path] += 1
            count = self._served[path]
        with self._lock:
            self.times.setdefault(path, []).append(time.monotonic())
        if path in self.extra:
            extra = self.extra[path]
            return extra[min(count, len(extra)) - 1] if isinstance(extra, list) else extra
        if path == "/robots.txt":
            sitemap = f"Sitemap: {self.origin}/sitemap_index.xml\n" if self.extras else ""
            return Reply(200, (self.robots + sitemap).encode(), "text/plain")
        for a in self.articles:
            if a.old_path == path:
                return Reply(301, headers={"Location": self.url(a.path)}, validators=False)
            if a.path == path:
                if count <= a.flaky:
                    return Reply(500, b"<h1>Internal Server Error</h1>", validators=False)
                return self._article_reply(a)
        if path == "/":
            listed = [a for a in self.articles if a.listed == "home"]
            return Reply(200, pages.listing_page(self, self.name, listed, None, home=True).encode())
        if path == "/about/":
            return Reply(
                200,
                pages.about_page(self).encode(),
            )
        if self.extras:
            feed = self._feeds_and_sitemaps(path)
            if feed is not None:
                return feed
        for section in self.sections:
            chunks = self._section_pages(section)
            for number, chunk in enumerate(chunks, start=1):
                page_path = f"/{section}/" if number == 1 else f"/{section}/page/{number}/"
                if path == page_path:
                    older = f"/{section}/page/{number + 1}/" if number < len(chunks) else None
                    title = f"{section.title()} news" + (f", page {number}" if number > 1 else "")
                    return Reply(200, pages.listing_page(self, title, chunk, older).encode())
        tags = {t for a in self.articles for t in a.tags}
        for tag in tags:
            if path == f"/tag/{slug(tag)}/":
                tagged = [a for a in self.articles if tag in a.tags]
                return Reply(200, pages.listing_page(self, f"Tagged: {tag}", tagged, None).encode())
        for author in {a.author for a in self.articles}:
            if path == f"/author/{slug(author)}/":
                theirs = [a for a in self.articles if a.author == author]
                return Reply(
                    200, pages.listing_page(self, f"Stories by {author}", theirs, None).encode()
                )
        return Reply(404, b"<h1>Not found</h1>", validators=False)

    def _section_pages(self, section: str) -> list[list[Article]]:
        items = [
            a for a in self.articles if a.section == section and not a.path.startswith("/private/")
        ]
        return [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]

    def _article_reply(self, a: Article) -> Reply:
        page = pages.article_page(self, a)
        if a.padding:
            # Long comment threads are how real article pages grow past any size limit.
            thread = "".join(
                f'<li class="comment"><p>Reader {i} wrote: I have lived here all my life and '
                f"this is the first I have heard of it. Thanks for the reporting.</p></li>"
                for i in range(PADDING_BYTES // 130)
            )
            page = page.replace("</body>", f'<ol class="old-comments">{thread}</ol></body>')
        return Reply(
            200,
            page.encode(),
            headers={"Last-Modified": format_datetime(a.published, usegmt=True)},
            streamed=a.padding == "streamed",
        )

    def _feeds_and_sitemaps(self, path: str) -> Reply | None:
        public = [a for a in self.articles if not a.path.startswith("/private/")]
        if path == "/feeds/rss.xml":
            items = [a for a in public if a.section in {"city", "business"}]
            return Reply(200, feeds.rss(self, items).encode(), "application/rss+xml")
        if path == "/feeds/atom.xml":
            items = [a for a in public if a.section == "environment"]
            return Reply(200, feeds.atom(self, items).encode(), "application/atom+xml")
        if path == "/sitemap_index.xml":
            children = [
                ("/sitemaps/news.xml.gz", "2024-05-14"),
                ("/sitemaps/pages.xml", "2024-05-14"),
                ("/sitemaps/archive-2023.xml", "2023-12-31"),
            ]
            return Reply(200, feeds.sitemap_index(self, children).encode(), "application/xml")
        if path == "/sitemaps/news.xml.gz":
            recent = [a for a in self.articles if a.published.year == 2024]
            body = gzip.compress(feeds.news_sitemap(self, recent).encode(), mtime=0)
            return Reply(200, body, "application/x-gzip")
        if path == "/sitemaps/pages.xml":
            listings = ["/", *(f"/{s}/" for s in self.sections), "/about/", "/tag/harbour/"]
            old = [a for a in self.articles if a.published.year < 2024]
            entries = [(p, "2024-05-14") for p in listings]
            entries += [(a.path, a.published.date().isoformat()) for a in old]
            return Reply(200, feeds.urlset(self, entries).encode(), "application/xml")
        if path == "/sitemaps/archive-2023.xml":
            old = [a for a in self.articles if a.published.year < 2024]
            entries = [(a.path, a.published.date().isoformat()) for a in old]
            return Reply(200, feeds.urlset(self, entries).encode(), "application/xml")
        return None


def _handler(site: NewsSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if site.delay:
                time.sleep(site.delay)
            path = self.path.split("?", 1)[0]
            reply = site.answer(path)
            status = reply.status
            headers = dict(reply.headers)
            body = reply.body
            if reply.validators and status == 200:
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers["ETag"] = etag
                headers.setdefault("Last-Modified", "Tue, 14 May 2024 06:00:00 GMT")
                if self._not_modified(etag, headers["Last-Modified"]):
                    status, body = 304, b""
            with site._lock:
                site.log.append((path, status))
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", reply.content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            if reply.streamed and status == 200:
                # No Content-Length: the size is only known once the body has been read.
                self.send_header("Connection", "close")
                self.end_headers()
                for i in range(0, len(body), 16384):
                    self.wfile.write(body[i : i + 16384])
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _not_modified(self, etag: str, last_modified: str) -> bool:
            match = self.headers.get("If-None-Match")
            if match is not None:
                return etag in [m.strip() for m in match.split(",")]
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            try:
                return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
            except (TypeError, ValueError):
                return False

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler hanging up on a page over its size limit is expected, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(key: str, port: int = 0, host: str = "127.0.0.1") -> Iterator[NewsSite]:
    """Serve the fixture site ``key`` until the block ends.

    ``host`` may be any loopback address (127.0.0.2, ...): two sites on two hosts are two
    sites to grouping too, which two ports on one host are not.
    """
    site = NewsSite(key)
    server = _Server((host, port), _handler(site))
    site.origin = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


if __name__ == "__main__":
    with serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0) as running:
        print(f"serving {running.name} at {running.origin}/", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
