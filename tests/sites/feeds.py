"""The fixture sites' feeds (RSS 2.0, Atom) and sitemaps (index, Google News, plain)."""

from __future__ import annotations

import html
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sites.content import Article
    from sites.server import NewsSite


def rss(site: NewsSite, items: list[Article]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{site.url(a.path)}</link>"
        f'<guid isPermaLink="true">{site.url(a.path)}</guid>'
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
        f"<title>{site.name}</title><link>{site.origin}/</link>"
        f"<description>City and business news</description>{entries}</channel></rss>\n"
    )


def atom(site: NewsSite, items: list[Article]) -> str:
    entries = "".join(
        f"<entry><title>{html.escape(a.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{site.url(a.path)}"/>'
        f"<id>{site.url(a.path)}</id><published>{a.published.isoformat()}</published>"
        f"<updated>{a.published.isoformat()}</updated>"
        f"<author><name>{html.escape(a.author)}</name></author></entry>"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{site.name}: environment</title><id>{site.origin}/environment/</id>"
        f'<link rel="self" href="{site.origin}/feeds/atom.xml"/>'
        f"<updated>2024-05-14T00:00:00+00:00</updated>{entries}</feed>\n"
    )


def sitemap_index(site: NewsSite, children: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<sitemap><loc>{site.url(p)}</loc><lastmod>{d}</lastmod></sitemap>" for p, d in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>\n'
    )


def news_sitemap(site: NewsSite, items: list[Article]) -> str:
    entries = "".join(
        f"<url><loc>{site.url(a.path)}</loc><news:news><news:publication>"
        f"<news:name>{site.name}</news:name><news:language>en</news:language>"
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


def urlset(site: NewsSite, entries: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<url><loc>{site.url(p)}</loc><lastmod>{d}</lastmod></url>" for p, d in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>\n'
    )
