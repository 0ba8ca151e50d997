"""The fixture sites' HTML pages, with the chrome real news pages carry: navigation, share
bars, a donation box, related links, comments, a newsletter box and a footer."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from sites.content import slug

if TYPE_CHECKING:
    from sites.content import Article
    from sites.server import NewsSite


def chrome_head(site: NewsSite, title: str, og_type: str, extra: str = "") -> str:
    feeds = ""
    if site.extras:
        feeds = (
            f'<link rel="alternate" type="application/rss+xml" title="{site.name} city and '
            f'business" href="/feeds/rss.xml">\n'
            f'<link rel="alternate" type="application/atom+xml" title="{site.name} '
            f'environment" href="/feeds/atom.xml">\n'
        )
    nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in site.sections)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} | {site.name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="{site.name}">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{html.escape(title)}">
{feeds}{extra}<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "{og_type}"}});</script>
</head>
<body>
<div class="topbar"><span>Independent local news since 1887</span>
<a href="/subscribe/" class="btn">Subscribe</a> <a href="/login/">Sign in</a></div>
<header class="masthead"><a href="/" class="logo">{site.name}</a>
<nav class="primary"><ul><li><a href="/">Home</a></li>{nav}<li><a href="/about/">About us</a></li>
</ul></nav>
<form class="search" action="/search/"><input name="q" placeholder="Search"></form></header>
<div class="ticker"><strong>Latest:</strong>
<a href="/">Weather warning for the coast this weekend</a></div>
"""


def chrome_foot(site: NewsSite) -> str:
    bad_links = ""
    if site.extras:
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
{bad_links}<p>&copy; 2024 {site.name}. All rights reserved.</p></footer>
</body>
</html>
"""


def article_page(site: NewsSite, a: Article) -> str:
    iso = a.published.isoformat()
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": iso,
        "author": {"@type": "Person", "name": a.author},
        "publisher": {"@type": "Organization", "name": site.name},
        "mainEntityOfPage": site.url(a.path),
    }
    extra = (
        f'<link rel="canonical" href="{site.url(a.path)}">\n'
        f'<meta property="article:published_time" content="{iso}">\n'
        f'<meta name="author" content="{html.escape(a.author)}">\n'
        f'<script type="application/ld+json">{json.dumps(ld)}</script>\n'
    )
    share = (
        '<div class="share"><span>Share</span>'
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={site.url(a.path)}">Facebook</a>'
        f'<a href="https://twitter.com/intent/tweet?url={site.url(a.path)}">X</a>'
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
    related = [r for r in site.articles if r is not a and not r.path.startswith("/private/")][:3]
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
        chrome_head(site, a.title, "article", extra)
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
        + chrome_foot(site)
    )


def listing_page(
    site: NewsSite, title: str, items: list[Article], older: str | None, home: bool = False
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
        f'<nav class="pager"><a href="{older}" rel="next">Older stories</a></nav>' if older else ""
    )
    heading = "Top stories" if home else html.escape(title)
    return (
        chrome_head(site, title, "website")
        + f'<main><h1>{heading}</h1><div class="cards">{"".join(cards)}</div>{pager}</main>\n'
        + chrome_foot(site)
    )


def about_page(site: NewsSite) -> str:
    return (
        chrome_head(site, "About us", "website")
        + f"""<main><h1>About {site.name}</h1>
<p>We are a small independent newsroom. Send tips to the newsdesk.</p>
<ul><li><a href="/contact/">Contact us</a></li><li><a href="/jobs/">Jobs</a></li></ul></main>
"""
        + chrome_foot(site)
    )
