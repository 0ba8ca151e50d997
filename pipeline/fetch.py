"""What the web spiders share: their URL arguments, sites, dates, and the Document they yield."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract
from scrapy.http import HtmlResponse, Response

from pipeline.document import Document, make_id
from pipeline.errors import Drop, NewsdedupError
from pipeline.loaders import text_or_drop

_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# The public suffix list shipped with tldextract: looking it up never touches the network.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def url_list(arg: str, spider: str) -> list[str]:
    """The ``-a url=URL[,URL...]`` argument as a list; each must be an absolute http(s) URL."""
    urls = [u.strip() for u in arg.split(",") if u.strip()]
    if not urls:
        raise NewsdedupError(f"the {spider} spider needs -a url=URL[,URL...]")
    for url in urls:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise NewsdedupError(f"not an http(s) URL: {url!r}")
    return urls


def since_date(arg: str | None) -> date | None:
    """The ``-a since=YYYY-MM-DD`` argument."""
    if not arg:
        return None
    try:
        return date.fromisoformat(arg)
    except ValueError:
        raise NewsdedupError(f"since must be YYYY-MM-DD, not {arg!r}") from None


@lru_cache(maxsize=4096)
def site_of(url: str) -> str:
    """The site a URL belongs to: its registered domain (``news.example.co.uk`` ->
    ``example.co.uk``), so that ``www.`` and other subdomains count as the same site.

    A host with no registered domain (an IP address, ``localhost``, an intranet name) is its
    own site together with its port: two servers on one machine are two sites.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    found = _EXTRACT(host)
    if found.domain and found.suffix:
        return f"{found.domain}.{found.suffix}"
    return f"{host}:{parts.port}" if parts.port else host


def declared_charset(response: Response) -> str | None:
    content_type = response.headers.get(b"Content-Type") or b""
    match = _CHARSET.search(content_type)
    return match.group(1).decode("ascii") if match else None


def page_html(response: Response) -> str | Drop:
    """A fetched page's HTML, or why it is none: ``not_html`` (an image, a PDF, JSON, plain
    text), ``empty`` or ``binary`` (the checks ``newsdedup run`` makes on files)."""
    if not isinstance(response, HtmlResponse):
        kind = (response.headers.get(b"Content-Type") or b"no Content-Type").decode("latin-1")
        return Drop("not_html", response.url, kind)
    html = text_or_drop(
        response.body, source=response.url, html=True, declared=declared_charset(response)
    )
    return html.removeprefix("\ufeff") if isinstance(html, str) else html


def document(
    response: Response,
    html: str,
    title: str | None = None,
    published: str | None = None,
) -> Document:
    """The item every web spider yields: the page as fetched, keyed by its final URL.

    ``title`` and ``published`` come from a feed or news sitemap, when it gave them.
    """
    try:
        redirected_from = tuple(response.meta.get("redirect_urls", ()))
    except AttributeError:  # a response built without its request
        redirected_from = ()
    return Document(
        id=make_id(response.url),
        source=response.url,
        url=response.url,
        html=html,
        title=title or None,
        published=published,
        redirected_from=redirected_from,
    )
