"""Read an article's title, author, publication date, site name, language and canonical URL.

Structured data first (JSON-LD, ``<meta>`` tags), then what the reader sees:

- Title: the page's ``<h1>`` when it agrees with ``og:title``/``<title>`` (the visible headline,
  without the "| Site" suffix those carry), else the first substantial ``<h1>``, else the meta
  title with the site-name suffix cut.
- Date: a date printed next to the headline (the byline) that agrees with the structured or
  htmldate estimate wins; then the structured publication date; then the first byline date;
  then htmldate's estimate of the original publication date. When the structured publication
  and modification dates are the same day, the first byline date wins over them. Dates in the
  future or before 1990 are ignored, and so is a date that is no calendar day
  (``2024-02-30``, month 13): it does not become another day. A date that names no day (a
  year, a month, a week, a copyright year) gives none: the page then has no date rather than
  a made-up day. htmldate reads text dates in the 40 most used languages and the page's own,
  and takes no date from patterns in the raw markup (``pipeline.htmldate_tuning``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import htmldate
import lxml.etree
from babel import Locale, UnknownLocaleError
from lxml.html import HtmlElement

from pipeline.htmldate_tuning import newsdedup_dating

log = logging.getLogger(__name__)

_EARLIEST = date(1990, 1, 1)
_WORD = re.compile(r"\w+")
# A title's site part is split off by one of these, surrounded by spaces.
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|·|»|::|/)\s+")
_SITE_PART_MAX_WORDS = 4
_H1_MIN_WORDS = 3
_H1_MAX_WORDS = 40
# Window, in characters of visible text around the start of the headline, where a byline date is
# looked for: a date just above the headline, or in the byline under it.
_BYLINE_BEFORE = 60
_BYLINE_AFTER = 400
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MON = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_MDY = re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
_DATE_DMY = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?" + _MON + r",?\s+(\d{4})\b", re.I
)
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/](\d{2})[-/](\d{2})(?!\d)")
_DATE_NUM = re.compile(r"\b(\d{1,2})([./])(\d{1,2})\2(\d{4})\b")

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenews",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "socialmediaposting",
        "webpage",
        "report",
    }
)
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD, the calendar day printed on the page
    language: str | None = None
    sitename: str | None = None
    url: str | None = None  # absolute http(s) canonical URL, when the page declares one


def read_metadata(
    tree: HtmlElement, url: str | None = None, today: date | None = None
) -> PageMetadata:
    """Everything but the text, from a parsed page (the tree is not modified)."""
    today = today or datetime.now(UTC).date()
    metas = _meta_tags(tree)
    ld = list(_json_ld(tree))
    article = next((o for o in ld if _ld_types(o) & _ARTICLE_TYPES), None)
    canonical = _canonical(tree, metas, url)
    sitename = _sitename(metas, ld)
    title, h1 = _title(tree, metas, article, sitename)
    language = _language(tree, metas)
    return PageMetadata(
        title=title,
        author=_author(tree, metas, article),
        published=_published(tree, metas, ld, article, h1, canonical or url, language, today),
        language=language,
        sitename=sitename or _title_site_part(metas.get("og:title") or _page_title(tree)),
        url=canonical,
    )


# --- structured sources ------------------------------------------------------------------------


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """First non-empty ``content`` per lower-cased ``property``/``name``/``itemprop``."""
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), " ".join(content.split()))
    return found


def is_json_ld(script: HtmlElement) -> bool:
    """Whether a ``<script>`` element holds JSON-LD."""
    return (script.get("type") or "").strip().lower() == "application/ld+json"


def _json_ld(tree: HtmlElement) -> Iterator[dict[str, object]]:
    """Every JSON-LD object on the page, ``@graph`` members and nested lists flattened."""
    for script in tree.iter("script"):
        if not is_json_ld(script) or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:  # malformed JSON-LD is common and never fatal
            continue
        stack: list[object] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                graph = item.get("@graph")
                if graph is not None:
                    stack.append(graph)
                yield item


def _ld_types(obj: dict[str, object]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _ld_name(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return "; ".join(dict.fromkeys(names)) or None
    return None


def _canonical(tree: HtmlElement, metas: dict[str, str], base: str | None) -> str | None:
    candidates: list[str | None] = [
        el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower()
    ]
    candidates.append(metas.get("og:url"))
    for href in candidates:
        if not href:
            continue
        try:
            href = urljoin(base, href.strip()) if base else href.strip()
            parts = urlsplit(href)
            parts.port  # noqa: B018  (raises for a port that is not a number)
        except ValueError:  # a broken IPv6 host or port: not a usable canonical URL
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            return href
    return None


def _sitename(metas: dict[str, str], ld: list[dict[str, object]]) -> str | None:
    if name := metas.get("og:site_name"):
        return name
    for obj in ld:
        if "website" in _ld_types(obj) and (name := _ld_name(obj.get("name"))):
            return name
    for obj in ld:
        if _ld_types(obj) & _ARTICLE_TYPES and (name := _ld_name(obj.get("publisher"))):
            return name
    return metas.get("application-name")


# ISO 639 codes that name no one language: undetermined, several, none, not coded.
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
# Two-letter codes ISO 639-1 withdrew, as pages still declare them, and their replacements.
_RENAMED_LANGUAGES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def _language(tree: HtmlElement, metas: dict[str, str]) -> str | None:
    root = tree.getroottree().getroot()
    raw = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    raw = raw or metas.get("content-language") or metas.get("og:locale")
    if not raw:
        return None
    primary = re.split(r"[-_,;\s]", raw.strip(), maxsplit=1)[0].lower()
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return None
    if primary in _NO_LANGUAGE:
        return None
    return _RENAMED_LANGUAGES.get(primary) or _two_letters(primary)


@lru_cache(maxsize=512)
def _two_letters(code: str) -> str:
    """A three-letter ISO 639-2/3 code as the ISO 639-1 one when the language has one
    (``eng``, ``fre``, ``deu``: ``en``, ``fr``, ``de``), by CLDR's data (babel); else as given
    (``fil``, ``haw``)."""
    if len(code) != 3:
        return code
    try:
        language = str(Locale.parse(code).language)
    except (UnknownLocaleError, ValueError):
        return code
    return language if len(language) == 2 else code


def _author(
    tree: HtmlElement, metas: dict[str, str], article: dict[str, object] | None
) -> str | None:
    if article is not None and (name := _ld_name(article.get("author"))):
        return name
    for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator"):
        value = metas.get(key)
        if value and not value.startswith(("http://", "https://")):
            return value
    for el in tree.iterfind(".//a[@rel='author']"):
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


# --- title -------------------------------------------------------------------------------------


def _tokens(text: str | None) -> list[str]:
    return _WORD.findall(text.lower()) if text else []


def _page_title(tree: HtmlElement) -> str:
    el = tree.find(".//title")
    return " ".join(el.text_content().split()) if el is not None else ""


def _title_site_part(title: str | None) -> str | None:
    """The short trailing part of "Headline | Site", if the title has one."""
    if not title:
        return None
    seps = list(_TITLE_SEP.finditer(title))
    if not seps:
        return None
    tail = title[seps[-1].end() :].strip()
    return tail if 0 < len(_tokens(tail)) <= _SITE_PART_MAX_WORDS else None


def strip_site_name(title: str, sitenames: list[str]) -> str:
    """Cut a site name (or a short trailing segment) off "Headline | Site" and "Site | Headline"."""
    site_tokens = [t for t in (_tokens(s) for s in sitenames) if t]
    seps = list(_TITLE_SEP.finditer(title))
    if not seps:
        return title
    last, first = seps[-1], seps[0]
    head, tail = title[: last.start()].strip(), title[last.end() :].strip()
    if _tokens(tail) in site_tokens and len(_tokens(head)) >= 2:
        return strip_site_name(head, sitenames)
    if _tokens(title[: first.start()]) in site_tokens:
        return title[first.end() :].strip()
    if len(_tokens(head)) >= 2 and len(_tokens(tail)) <= _SITE_PART_MAX_WORDS:
        return head
    return title


def _title(
    tree: HtmlElement,
    metas: dict[str, str],
    article: dict[str, object] | None,
    sitename: str | None,
) -> tuple[str | None, HtmlElement | None]:
    """The headline, and the ``<h1>`` it was read from (None when it came from meta data)."""
    metas_raw = [m for m in (metas.get("og:title"), _page_title(tree)) if m]
    headline = _ld_name(article.get("headline")) if article is not None else None
    sites = [s for s in (sitename, *(_title_site_part(m) for m in metas_raw)) if s]
    stripped = [strip_site_name(m, sites) for m in metas_raw]
    known = [_tokens(m) for m in (*metas_raw, *stripped, headline) if m]
    site_tokens = [_tokens(s) for s in sites]

    h1s: list[tuple[HtmlElement, str, list[str]]] = []
    for el in tree.iter("h1"):
        text = " ".join(el.text_content().split())
        tokens = _tokens(text)
        if tokens and tokens not in site_tokens and len(tokens) <= _H1_MAX_WORDS:
            h1s.append((el, text, tokens))

    for el, text, tokens in h1s:
        if tokens in known:
            return text, el
    for el, text, tokens in h1s:
        if len(tokens) >= 2 and any(_tokens(m)[: len(tokens)] == tokens for m in metas_raw):
            return text, el
    for el, text, tokens in h1s:
        if len(tokens) >= _H1_MIN_WORDS:
            return strip_site_name(text, sites) if sitename else text, el
    if stripped:
        return stripped[0], None
    if headline:
        return headline, None
    return (h1s[0][1], h1s[0][0]) if h1s else (None, None)


# --- dates -------------------------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    """The first calendar date written in ``text`` (ISO, "May 3, 2024", "3 May 2024", 3/5/2024)."""
    found = _dates_in(text[:200])
    return found[0][1] if found else None


def _dates_in(text: str) -> list[tuple[int, date]]:
    """Every calendar date in ``text`` with its offset, in order."""
    out: list[tuple[int, date]] = []
    for m in _DATE_ISO.finditer(text):
        _add_date(out, m.start(), int(m[1]), int(m[2]), int(m[3]))
    for m in _DATE_MDY.finditer(text):
        _add_date(out, m.start(), int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
    for m in _DATE_DMY.finditer(text):
        _add_date(out, m.start(), int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    for m in _DATE_NUM.finditer(text):
        first, second, year = int(m[1]), int(m[3]), int(m[4])
        # Dotted dates are day-first everywhere; slashed ones are month-first unless impossible.
        if m[2] == "." or first > 12:
            _add_date(out, m.start(), year, second, first)
        else:
            _add_date(out, m.start(), year, first, second)
    out.sort(key=lambda x: x[0])
    return out


def _add_date(out: list[tuple[int, date]], pos: int, year: int, month: int, day: int) -> None:
    try:
        out.append((pos, date(year, month, day)))
    except ValueError:
        pass


def _sane(d: date | None, today: date) -> date | None:
    if d is None or d < _EARLIEST or d > today + timedelta(days=1):
        return None
    return d


def _first_date(values: list[object], today: date) -> date | None:
    for value in values:
        if isinstance(value, str) and (d := _sane(parse_date(value), today)):
            return d
    return None


def _published(
    tree: HtmlElement,
    metas: dict[str, str],
    ld: list[dict[str, object]],
    article: dict[str, object] | None,
    h1: HtmlElement | None,
    url: str | None,
    language: str | None,
    today: date,
) -> str | None:
    ordered = ([article] if article is not None else []) + ld
    published = _first_date(
        [o.get("datePublished") for o in ordered]
        + [metas.get(k) for k in _PUBLISHED_META]
        + _marked_dates(tree),
        today,
    )
    modified = _first_date(
        [o.get("dateModified") for o in ordered] + [metas.get(k) for k in _MODIFIED_META], today
    )
    near = [d for d in _byline_dates(tree, h1) if _sane(d, today)]
    if published is not None and published == modified and near and near[0] != published:
        # One structured timestamp for both publication and last change (a CMS that writes
        # the save time into both) cannot tell when the article first appeared; the date
        # printed under the headline can (WCXB dev articles: 5 dates gained, 2 lost).
        return near[0].isoformat()
    if published is not None and (not near or near[0] == published):
        # what follows would choose ``published`` whatever htmldate says: spare its cost
        return published.isoformat()
    if published is None and near and (near[0] == modified or len(set(near)) == 1):
        # likewise the first byline date: the estimate could only pick a later byline date
        return near[0].isoformat()
    estimate = _htmldate(tree, url, language, today)
    if published is not None and published == estimate:
        return published.isoformat()
    for d in near:
        if d in (published, estimate, modified):
            return d.isoformat()
    # A structured publication date beats a byline date that matches nothing structured (often
    # a related article's), measured on WCXB dev.
    best = published or (near[0] if near else estimate)
    return best.isoformat() if best else None


def _marked_dates(tree: HtmlElement) -> list[object]:
    """Dates the markup labels as the publication date: microdata and ``<time pubdate>``."""
    found: list[object] = []
    for el in tree.iterfind(".//*[@itemprop='datePublished']"):
        found.append(el.get("datetime") or el.get("content") or el.text_content())
    for el in tree.iterfind(".//time[@pubdate]"):
        found.append(el.get("datetime") or el.text_content())
    return found


def _htmldate(tree: HtmlElement, url: str | None, language: str | None, today: date) -> date | None:
    try:
        with newsdedup_dating(language):
            found = htmldate.find_date(
                tree,
                extensive_search=True,
                original_date=True,
                url=url,
                min_date=_EARLIEST.isoformat(),
                max_date=(today + timedelta(days=1)).isoformat(),
            )
    # htmldate raises on odd markup (lxml's AssertionError when it would drop the root of a
    # page that is one <svg>); the date is optional, the article is not.
    except (ValueError, TypeError, AssertionError, lxml.etree.LxmlError) as exc:
        log.debug("htmldate failed: %r", exc)
        return None
    return date.fromisoformat(found) if found else None


def _byline_dates(tree: HtmlElement, h1: HtmlElement | None) -> list[date]:
    """Dates printed in the byline under the headline, then those just above it."""
    if h1 is None:
        return []
    body = tree.find("body")
    if body is None:
        return []
    parts: list[str] = []
    size = 0
    start: int | None = None
    for el in body.iter():
        if el is h1:
            start = size
        if isinstance(el.tag, str) and el.tag not in _SKIP_TEXT and el.text:
            parts.append(el.text)
            size += len(el.text) + 1
        if el.tail:
            parts.append(el.tail)
            size += len(el.tail) + 1
        if start is not None and size > start + _BYLINE_AFTER * 3:
            break
    if start is None:
        return []
    raw = " ".join(parts)
    before = " ".join(raw[:start].split())[-_BYLINE_BEFORE:]
    # a little past the window so that a date starting inside it is read whole
    after = " ".join(raw[start:].split())[: _BYLINE_AFTER + 30]
    limit = len(before) + 1 + _BYLINE_AFTER
    found = [(pos, d) for pos, d in _dates_in(before + " " + after) if pos <= limit]
    return [d for _, d in found]
