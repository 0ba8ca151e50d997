"""Small news sites served on 127.0.0.1 for the crawl tests, rendered from ``*/articles/*.txt``.

A site has a home page, section pages (paginated), tag and author pages, an about page, article
pages with the usual chrome (navigation, share bar, donation box, related links, comments),
robots.txt, RSS and Atom feeds and a sitemap index with a gzipped Google News child sitemap.
Article headers switch on the traps a crawler must survive: ``old_path`` (a 301 from an old
URL), ``flaky: N`` (N answers of 500 before the page), ``padding: content-length|streamed``
(a page far over a small DOWNLOAD_MAXSIZE, with or without a Content-Length), ``listed:
section`` (reachable only through section pages, some of them paginated).

Every request is logged (``site.log``) so tests can count what a crawl downloaded; ``delay``
slows every answer down. Run one by hand: ``python tests/sites/server.py harbour 8001``.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
class Article:
    title: str
    path: str
    published: datetime
    author: str
    section: str
    tags: list[str]
    paragraphs: list[str]
    old_path: str | None = None
    flaky: int = 0
    padding: str | None = None
    listed: str = "home"

    @property
    def author_path(self) -> str:
        return f"/author/{slug(self.author)}/"


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def load_articles(folder: Path) -> list[Article]:
    articles = []
    for path in sorted(folder.glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        meta = dict(line.split(": ", 1) for line in head.splitlines())
        articles.append(
            Article(
                title=meta["title"],
                path=meta["path"],
                published=datetime.fromisoformat(meta["published"]),
                author=meta["author"],
                section=meta["section"],
                tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
                paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
                old_path=meta.get("old_path"),
                flaky=int(meta.get("flaky", "0")),
                padding=meta.get("padding"),
                listed=meta.get("listed", "home"),
            )
        )
    articles.sort(key=lambda a: a.published, reverse=True)
    return articles


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
            return Reply(200, self.listing_page(self.name, listed, None, home=True).encode())
        if path == "/about/":
            return Reply(200, self.about_page().encode())
        if self.extras:
            feed = self._feeds_and_sitemaps(path)
            if feed is not None:
                return feed
        for section in self.sections:
            pages = self._section_pages(section)
            for number, chunk in enumerate(pages, start=1):
                page_path = f"/{section}/" if number == 1 else f"/{section}/page/{number}/"
                if path == page_path:
                    older = f"/{section}/page/{number + 1}/" if number < len(pages) else None
                    title = f"{section.title()} news" + (f", page {number}" if number > 1 else "")
                    return Reply(200, self.listing_page(title, chunk, older).encode())
        tags = {t for a in self.articles for t in a.tags}
        for tag in tags:
            if path == f"/tag/{slug(tag)}/":
                tagged = [a for a in self.articles if tag in a.tags]
                return Reply(200, self.listing_page(f"Tagged: {tag}", tagged, None).encode())
        for author in {a.author for a in self.articles}:
            if path == f"/author/{slug(author)}/":
                theirs = [a for a in self.articles if a.author == author]
                return Reply(200, self.listing_page(f"Stories by {author}", theirs, None).encode())
        return Reply(404, b"<h1>Not found</h1>", validators=False)

    def _section_pages(self, section: str) -> list[list[Article]]:
        items = [
            a for a in self.articles if a.section == section and not a.path.startswith("/private/")
        ]
        return [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]

    def _article_reply(self, a: Article) -> Reply:
        page = self.article_page(a)
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
            return Reply(200, self.rss(items).encode(), "application/rss+xml")
        if path == "/feeds/atom.xml":
            items = [a for a in public if a.section == "environment"]
            return Reply(200, self.atom(items).encode(), "application/atom+xml")
        if path == "/sitemap_index.xml":
            children = [
                ("/sitemaps/news.xml.gz", "2024-05-14"),
                ("/sitemaps/pages.xml", "2024-05-14"),
                ("/sitemaps/archive-2023.xml", "2023-12-31"),
            ]
            return Reply(200, self.sitemap_index(children).encode(), "application/xml")
        if path == "/sitemaps/news.xml.gz":
            recent = [a for a in self.articles if a.published.year == 2024]
            body = gzip.compress(self.news_sitemap(recent).encode(), mtime=0)
            return Reply(200, body, "application/x-gzip")
        if path == "/sitemaps/pages.xml":
            listings = ["/", *(f"/{s}/" for s in self.sections), "/about/", "/tag/harbour/"]
            old = [a for a in self.articles if a.published.year < 2024]
            entries = [(p, "2024-05-14") for p in listings]
            entries += [(a.path, a.published.date().isoformat()) for a in old]
            return Reply(200, self.urlset(entries).encode(), "application/xml")
        if path == "/sitemaps/archive-2023.xml":
            old = [a for a in self.articles if a.published.year < 2024]
            entries = [(a.path, a.published.date().isoformat()) for a in old]
            return Reply(200, self.urlset(entries).encode(), "application/xml")
        return None

    # -- pages ---------------------------------------------------------------------------------
    def chrome_head(self, title: str, og_type: str, extra: str = "") -> str:
        feeds = ""
        if self.extras:
            feeds = (
                f'<link rel="alternate" type="application/rss+xml" title="{self.name} city and '
                f'business" href="/feeds/rss.xml">\n'
                f'<link rel="alternate" type="application/atom+xml" title="{self.name} '
                f'environment" href="/feeds/atom.xml">\n'
            )
        nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in self.sections)
        return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} | {self.name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="{self.name}">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{html.escape(title)}">
{feeds}{extra}<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "{og_type}"}});</script>
</head>
<body>
<div class="topbar"><span>Independent local news since 1887</span>
<a href="/subscribe/" class="btn">Subscribe</a> <a href="/login/">Sign in</a></div>
<header class="masthead"><a href="/" class="logo">{self.name}</a>
<nav class="primary"><ul><li><a href="/">Home</a></li>{nav}<li><a href="/about/">About us</a></li>
</ul></nav>
<form class="search" action="/search/"><input name="q" placeholder="Search"></form></header>
<div class="ticker"><strong>Latest:</strong>
<a href="/">Weather warning for the coast this weekend</a></div>
"""

    def chrome_foot(self) -> str:
        bad_links = ""
        if self.extras:
            # Links no crawler should follow: other schemes, and a file that is not a page.
            bad_links = """<ul class="tools">
<li><a href="file:///etc/passwd">Local archive</a></li>
<li><a href="data:text/html;base64,PGgxPmhlbGxvPC9oMT4=">Preview</a></li>
<li><a href="javascript:window.print()">Print this page</a></li>
<li><a href="mailto:newsdesk@harbourtown.example">Email the newsdesk</a></li>
<li><a href="ftp://127.0.0.1/archive/">Photo archive (FTP)</a></li>
<li><a href="/media/print-edition.pdf">Today's print edition (PDF)</a></li>
</ul>
"""
        return f"""<aside class="newsletter"><h2>Get the morning briefing</h2>
<p>The day's local news in your inbox at 7am.</p>
<form action="/newsletter/"><input type="email" name="email"><button>Sign up</button></form></aside>
<footer><nav><ul><li><a href="/about/">About</a></li><li><a href="/contact/">Contact</a></li>
<li><a href="/privacy/">Privacy policy</a></li><li><a href="/terms/">Terms</a></li></ul></nav>
{bad_links}<p>&copy; 2024 {self.name}. All rights reserved.</p></footer>
</body>
</html>
"""

    def article_page(self, a: Article) -> str:
        iso = a.published.isoformat()
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": iso,
            "author": {"@type": "Person", "name": a.author},
            "publisher": {"@type": "Organization", "name": self.name},
            "mainEntityOfPage": self.url(a.path),
        }
        extra = (
            f'<link rel="canonical" href="{self.url(a.path)}">\n'
            f'<meta property="article:published_time" content="{iso}">\n'
            f'<meta name="author" content="{html.escape(a.author)}">\n'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>\n'
        )
        share = (
            '<div class="share"><span>Share</span>'
            f'<a href="https://www.facebook.com/sharer/sharer.php?u={self.url(a.path)}">Facebook</a>'
            f'<a href="https://twitter.com/intent/tweet?url={self.url(a.path)}">X</a>'
            f'<a href="mailto:?subject={html.escape(a.title)}">Email</a>'
            '<button class="copy">Copy link</button></div>'
        )
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs[:3])
        body += (
            '\n<div class="donate"><h3>Support local journalism</h3><p>Our reporters cover the '
            "council, the courts and the harbour every day. If you value this work, please "
            "consider a monthly contribution.</p>"
            '<a href="/donate/" class="btn">Donate now</a></div>\n'
        )
        body += "\n".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs[3:])
        related = [r for r in self.articles if r is not a and not r.path.startswith("/private/")][
            :3
        ]
        related_html = "".join(
            f'<li><a href="{r.path}">{html.escape(r.title)}</a></li>' for r in related
        )
        tags = "".join(f'<a href="/tag/{slug(t)}/" rel="tag">{html.escape(t)}</a> ' for t in a.tags)
        comments = """<section class="comments"><h2>3 comments</h2><ol>
<li><b>harbourwatcher</b> <time>2 hours ago</time><p>About time too.</p>
<a href="#reply">Reply</a></li>
<li><b>J. Pender</b> <time>1 hour ago</time><p>Who is paying for all this?</p>
<a href="#reply">Reply</a></li>
<li><b>seaview_sue</b> <time>40 minutes ago</time><p>Good to see it reported properly.</p></li>
</ol><form class="comment-form"><textarea name="comment"></textarea>
<button>Post comment</button></form></section>
"""
        return (
            self.chrome_head(a.title, "article", extra)
            + f"""<main><article class="story">
<p class="kicker"><a href="/{a.section}/">{a.section.title()}</a></p>
<h1>{html.escape(a.title)}</h1>
<p class="byline">By <a href="{a.author_path}" rel="author">{html.escape(a.author)}</a> &middot;
<time datetime="{iso}">{a.published:%d %B %Y, %H:%M}</time></p>
{share}
<div class="story-body">
{body}
</div>
<p class="tags">Topics: {tags}</p>
{share}
</article>
<aside class="related"><h2>Related stories</h2><ul>{related_html}</ul></aside>
{comments}</main>
"""
            + self.chrome_foot()
        )

    def listing_page(
        self, title: str, items: list[Article], older: str | None, home: bool = False
    ) -> str:
        cards = []
        for a in items:
            first = a.paragraphs[0].split(". ")[0]
            teaser = " ".join(first.split()[:22]) + "..."
            link = a.old_path or a.path
            cards.append(
                f'<article class="card"><h3><a href="{link}">{html.escape(a.title)}</a></h3>'
                f'<p class="meta">{a.published:%d %B %Y} &middot; {html.escape(a.author)}</p>'
                f"<p>{html.escape(teaser)}</p></article>"
            )
        pager = (
            f'<nav class="pager"><a href="{older}" rel="next">Older stories</a></nav>'
            if older
            else ""
        )
        heading = "Top stories" if home else html.escape(title)
        return (
            self.chrome_head(title, "website")
            + f'<main><h1>{heading}</h1><div class="cards">{"".join(cards)}</div>{pager}</main>\n'
            + self.chrome_foot()
        )

    def about_page(self) -> str:
        return (
            self.chrome_head("About us", "website")
            + f"""<main><h1>About {self.name}</h1>
<p>We are a small independent newsroom. Send tips to the newsdesk.</p>
<ul><li><a href="/contact/">Contact us</a></li><li><a href="/jobs/">Jobs</a></li></ul></main>
"""
            + self.chrome_foot()
        )

    # -- feeds and sitemaps --------------------------------------------------------------------
    def rss(self, items: list[Article]) -> str:
        entries = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{self.url(a.path)}</link>"
            f'<guid isPermaLink="true">{self.url(a.path)}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{html.escape(a.paragraphs[0])}</description></item>"
            for a in items
        )
        # A feed is untrusted input too: entries that point off the web.
        entries += (
            "<item><title>Archive</title><link>file:///etc/passwd</link></item>"
            "<item><title>Photos</title><link>ftp://127.0.0.1/photos/</link></item>"
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{self.name}</title><link>{self.origin}/</link>"
            f"<description>City and business news</description>{entries}</channel></rss>\n"
        )

    def atom(self, items: list[Article]) -> str:
        entries = "".join(
            f"<entry><title>{html.escape(a.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{self.url(a.path)}"/>'
            f"<id>{self.url(a.path)}</id><published>{a.published.isoformat()}</published>"
            f"<updated>{a.published.isoformat()}</updated>"
            f"<author><name>{html.escape(a.author)}</name></author></entry>"
            for a in items
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{self.name}: environment</title><id>{self.origin}/environment/</id>"
            f'<link rel="self" href="{self.origin}/feeds/atom.xml"/>'
            f"<updated>2024-05-14T00:00:00+00:00</updated>{entries}</feed>\n"
        )

    def sitemap_index(self, children: list[tuple[str, str]]) -> str:
        items = "".join(
            f"<sitemap><loc>{self.url(p)}</loc><lastmod>{d}</lastmod></sitemap>"
            for p, d in children
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>\n'
        )

    def news_sitemap(self, items: list[Article]) -> str:
        entries = "".join(
            f"<url><loc>{self.url(a.path)}</loc><news:news><news:publication>"
            f"<news:name>{self.name}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{a.published.isoformat()}"
            f"</news:publication_date><news:title>{html.escape(a.title)}</news:title>"
            f"</news:news></url>"
            for a in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{entries}</urlset>\n"
        )

    def urlset(self, entries: list[tuple[str, str]]) -> str:
        items = "".join(
            f"<url><loc>{self.url(p)}</loc><lastmod>{d}</lastmod></url>" for p, d in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>\n'
        )


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
