"""Tell article pages from listings (index, category, tag, author, paginated pages) and the rest.

A crawler meets far more listings than articles; it should follow them but never emit them.
The decision adds up evidence from three independent sources, each a named reason:

- the URL (dated paths and long slugs point to articles; ``/tag/``, ``/page/2``, the home page
  point to listings),
- what the page says about itself (``og:type``, JSON-LD ``@type``, a publication date),
- the text (a block of long, link-poor paragraphs versus many short linked teasers).

Weights are round numbers measured on a labelled set of real pages (``bench/pagetype.py``);
no single source decides alone, so a listing that mislabels itself ``og:type=article`` still
needs article-like text to pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import lxml.etree
import lxml.html

# Schema.org types that name one piece of writing.
ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenews",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "satiricalarticle",
        "advertisercontentarticle",
    }
)
LISTING_TYPES = frozenset(
    {"collectionpage", "itemlist", "searchresultspage", "blog", "profilepage"}
)
PRODUCT_TYPES = frozenset({"product", "productgroup", "offer", "aggregateoffer", "store"})
FORUM_TYPES = frozenset({"qapage", "discussionforumposting", "question"})

# Path segments that name a list of pages rather than a page.
_LISTING_SEGMENTS = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "author",
        "authors",
        "topic",
        "topics",
        "section",
        "sections",
        "archive",
        "archives",
        "search",
        "label",
        "labels",
        "page",
        "index",
        "latest",
        "feed",
        "collections",
        "collection",
        "browse",
        "directory",
        "catalog",
        "catalogs",
    }
)
# Query keys of paging and search; "?p=123" is left out: it is WordPress's article permalink.
_LISTING_QUERY_KEYS = frozenset({"page", "paged", "pg", "start", "offset", "tag", "cat", "s", "q"})
_INDEX_FILES = re.compile(r"^(index|default|home)\.(html?|php|aspx?|jsp)$", re.I)
_EXTENSION = re.compile(r"\.(html?|php|aspx?|jsp|cms|shtml)$", re.I)
_DATE_IN_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|-|$)")
_WORD = re.compile(r"\w+")
_SLUG_SPLIT = re.compile(r"[-_+\s]")

# Path segments of the other kinds of pages a crawler meets: discussions, manuals, shops.
_KIND_SEGMENTS = {
    "forum": frozenset(
        {
            "questions",
            "question",
            "forum",
            "forums",
            "thread",
            "threads",
            "discussion",
            "discussions",
            "viewtopic.php",
            "showthread.php",
            "community",
            "comments",
        }
    ),
    "docs": frozenset({"docs", "doc", "documentation", "wiki", "manual", "reference", "api", "kb"}),
    "product": frozenset({"product", "products", "dp", "shop", "store", "cart"}),
}
_OG_PRODUCT = frozenset({"product", "product.item", "product.group", "og:product"})

_PRIOR = -2.0
_MIN_PARAGRAPH_WORDS = 15
_MAX_PARAGRAPH_LINKED = 0.3  # share of a paragraph's words inside links

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe")
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "menu"})

_PUBLISHED_META = frozenset(
    {
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "date",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "sailthru.date",
        "parsely-pub-date",
        "dc.date.issued",
        "dcterms.created",
        "article.published",
        "cxenseparse:recs:publishtime",
    }
)


@dataclass(frozen=True, slots=True)
class PageVerdict:
    """The decision with its evidence: ``reasons`` name every signal that moved the score."""

    is_article: bool
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PageSignals:
    """What the page shows, before any weighting."""

    url_date: bool = False
    slug_words: int = 0
    url_listing: str = ""  # the listing marker found in the URL, if any
    url_root: bool = False
    url_depth: int = 0
    og_type: str = ""
    ld_types: set[str] = field(default_factory=set)
    published: bool = False
    words: int = 0  # visible words outside page chrome
    link_words: int = 0
    main_words: int = 0  # words of link-poor paragraphs in the richest block of the page
    teasers: int = 0  # headings that are (or hold) links: the cards of a listing
    url_kind: str = ""  # "forum", "docs" or "product" when the path says so

    @property
    def link_density(self) -> float:
        return self.link_words / self.words if self.words else 1.0


def classify(url: str, html: str) -> PageVerdict:
    """Decide whether the page at ``url`` is one article (emit) or something else (follow only)."""
    return weigh(read_signals(url, html))


def weigh(s: PageSignals) -> PageVerdict:
    """Turn signals into a score; positive means article.

    The weights are those of a logistic fit on labelled pages, rounded; the URL listing markers
    and the home page weigh more than that fit says because news sites have far more of them
    than the labelled set does.
    """
    reasons: list[str] = []
    score = _PRIOR

    def add(points: float, reason: str) -> None:
        nonlocal score
        score += points
        reasons.append(f"{reason}{points:+g}")

    # What the page says about itself.
    ld_article = bool(s.ld_types & ARTICLE_TYPES)
    if ld_article:
        add(1.5, "jsonld_article")
    if s.og_type == "article":
        add(1.5, "og_article")
    elif s.og_type in _OG_PRODUCT:
        add(-1.5, "og_product")
    if s.published:
        add(0.5, "published_date")
    if s.ld_types & PRODUCT_TYPES:
        add(-2.0, "jsonld_product")
    if s.ld_types & LISTING_TYPES and not ld_article:
        add(-1.0, "jsonld_listing")
    if s.ld_types & FORUM_TYPES:
        add(-1.5, "jsonld_forum")

    # The URL.
    if s.url_root:
        add(-3.0, "url_home")
    if s.url_listing:
        add(-2.5, f"url_listing:{s.url_listing}")
    if s.url_kind:
        add(-2.0 if s.url_kind == "product" else -2.5, f"url_{s.url_kind}")
    if s.url_date:
        add(1.5, "url_date")
    if s.slug_words >= 4:
        add(2.0, "url_long_slug")
    elif s.slug_words == 3:
        add(1.0, "url_slug")

    # The text.
    if s.main_words >= 400:
        add(2.0, "long_text")
    elif s.main_words >= 200:
        add(1.0, "text")
    elif s.main_words < 80:
        add(-0.5, "little_text")
    if s.words and s.link_density > 0.45:
        add(-1.0, "link_dense")
    if s.teasers >= 6 and s.teasers * 60 > s.main_words:
        add(-1.0, "teaser_cards")

    return PageVerdict(is_article=score > 0, score=round(score, 2), reasons=reasons)


def read_signals(url: str, html: str) -> PageSignals:
    s = PageSignals()
    _read_url(url, s)
    root = _parse(html)
    if root is None:
        return s
    _read_metadata(root, s)
    _read_text(root, s)
    return s


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    return root


def _read_url(url: str, s: PageSignals) -> None:
    parts = urlsplit(url)
    path = unquote(parts.path)
    segments = [seg for seg in path.split("/") if seg]
    if segments and _INDEX_FILES.match(segments[-1]):
        segments.pop()
    s.url_depth = len(segments)
    query_keys = {k.lower() for k, v in parse_qsl(parts.query) if v}
    content_query = query_keys - _LISTING_QUERY_KEYS
    s.url_root = not segments and not content_query
    s.url_date = bool(_DATE_IN_PATH.search(path)) and bool(segments) and not _is_date(segments[-1])
    for i, seg in enumerate(segments):
        low = seg.lower()
        if low in _LISTING_SEGMENTS and (low != "page" or _next_is_number(segments, i)):
            # "/category/x/some-long-article-slug" is an article filed under a category.
            if i >= len(segments) - 2 and not _is_sluggy(segments[-1]):
                s.url_listing = low
                break
    if not s.url_listing and query_keys & {"page", "paged", "pg"}:
        s.url_listing = "page_param"
    if not s.url_listing and segments and re.fullmatch(r"\d{1,3}", segments[-1]):
        if len(segments) >= 2 and segments[-2].lower() == "page":
            s.url_listing = "page"
    lows = {seg.lower() for seg in segments}
    for kind, markers in _KIND_SEGMENTS.items():
        if lows & markers:
            s.url_kind = kind
            break
    if segments:
        last = _EXTENSION.sub("", segments[-1])
        words = [w for w in _SLUG_SPLIT.split(last) if w and not w.isdigit()]
        s.slug_words = len(words) if len(words) > 1 else 0


def _is_date(seg: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}", seg))


def _next_is_number(segments: list[str], i: int) -> bool:
    return i + 1 < len(segments) and segments[i + 1].isdigit()


def _is_sluggy(seg: str) -> bool:
    return len([w for w in _SLUG_SPLIT.split(_EXTENSION.sub("", seg)) if w]) >= 4


def _read_metadata(root: lxml.html.HtmlElement, s: PageSignals) -> None:
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        value = (meta.get("content") or "").strip()
        if not key or not value:
            continue
        if key == "og:type":
            s.og_type = value.lower()
        elif key in _PUBLISHED_META:
            s.published = True
    for el in root.iter("time"):
        if el.get("itemprop", "").lower() == "datepublished" or el.get("pubdate") is not None:
            s.published = True
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in _ld_nodes(data):
            kinds = node.get("@type")
            names = kinds if isinstance(kinds, list) else [kinds]
            lowered = {n.lower() for n in names if isinstance(n, str)}
            s.ld_types |= lowered
            if lowered & ARTICLE_TYPES and node.get("datePublished"):
                s.published = True


def _ld_nodes(data: object) -> Iterator[dict[str, object]]:
    """Top-level JSON-LD objects and the members of their ``@graph``, not nested values.

    Nested values (an Article's ``publisher``, a page's ``breadcrumb``) describe other things.
    """
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            for item in graph:
                if isinstance(item, dict):
                    yield item
        main = data.get("mainEntity")
        if isinstance(main, dict):
            yield main


def _read_text(root: lxml.html.HtmlElement, s: PageSignals) -> None:
    body = root.find("body")
    if body is None:
        body = root
    for el in list(body.iter(*_DROP_TAGS)):
        el.drop_tree()
    chrome = set(body.iter(*_CHROME_TAGS))

    for text, in_link in _text_nodes(body, chrome):
        n = len(_WORD.findall(text))
        s.words += n
        if in_link:
            s.link_words += n

    # Readability's idea: a paragraph scores for its parent and half for its grandparent, so
    # an article whose paragraphs are each wrapped in their own <div> still adds up.
    blocks: dict[lxml.html.HtmlElement, float] = {}
    for p in body.iter("p"):
        parent = p.getparent()
        if parent is None or _inside(p, chrome):
            continue
        n = len(_WORD.findall(p.text_content()))
        if n < _MIN_PARAGRAPH_WORDS:
            continue
        linked = sum(len(_WORD.findall(a.text_content())) for a in p.iter("a"))
        if linked > _MAX_PARAGRAPH_LINKED * n:
            continue
        blocks[parent] = blocks.get(parent, 0.0) + n
        grandparent = parent.getparent()
        if grandparent is not None:
            blocks[grandparent] = blocks.get(grandparent, 0.0) + n / 2
    s.main_words = int(max(blocks.values(), default=0.0))

    for h in body.iter("h2", "h3", "h4"):
        parent = h.getparent()
        if h.find(".//a[@href]") is not None or (parent is not None and parent.tag == "a"):
            s.teasers += 1


def _text_nodes(
    top: lxml.html.HtmlElement, chrome: set[lxml.html.HtmlElement]
) -> Iterator[tuple[str, bool]]:
    """Every visible text outside page chrome, with whether it sits inside a link."""
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(top, False)]
    while stack:
        el, in_link = stack.pop()
        if el in chrome:
            continue
        here = in_link or el.tag == "a"
        if el.text:
            yield el.text, here
        for child in el:
            if isinstance(child.tag, str):
                stack.append((child, here))
            if child.tail:
                yield child.tail, in_link


def _inside(el: lxml.html.HtmlElement, ancestors: set[lxml.html.HtmlElement]) -> bool:
    return any(anc in ancestors for anc in el.iterancestors())
