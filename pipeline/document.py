"""The one record that flows through every step."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

# Query parameters that only track a visit; they never change the article. Matched as whole
# names (``refid`` or ``reference`` may well select the article), except the ``utm_`` family.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "cmpid", "ocid"}
)
_TRACKING_PREFIX = "utm_"


def _is_tracking(param: str) -> bool:
    name = param.split("=", 1)[0].lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIX)


def canonical_url(url: str) -> str:
    """Normalise a URL so that the same article gets the same id however it was linked.

    Lower-cases scheme and host, writes an international host name in its ASCII (punycode)
    form, writes the path and query in one percent-encoding (UTF-8, upper-case escapes, the
    unreserved characters ``A-Z a-z 0-9 - . _ ~`` plain: "café", "caf%c3%a9" and "caf%C3%A9"
    alike), drops the fragment, default ports, tracking parameters and a trailing slash on the
    path. A URL that cannot be parsed (a port that is not a number) is returned stripped, as
    given.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 host: kept as given
        return url.strip()
    scheme = parts.scheme.lower()
    host = _ascii_host((parts.hostname or "").lower())
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = "&".join(
        sorted(_escapes(p) for p in parts.query.split("&") if p and not _is_tracking(p))
    )
    path = _escapes(parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, query, ""))


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# every printable ASCII character but the space stays as it is when non-ASCII is escaped
_KEEP = "".join(chr(c) for c in range(0x21, 0x7F))


def _escapes(component: str) -> str:
    """A path or query in one percent-encoding (RFC 3986, 6.2.2): other characters as UTF-8
    escapes, an escaped unreserved character plain, every other escape in upper case."""
    if not component.isascii() or " " in component:
        component = quote(component, safe=_KEEP)
    if "%" not in component:
        return component

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, component)


def _ascii_host(host: str) -> str:
    """An international host name in its ASCII form (``пример.рф``: ``xn--e1afmkfd.xn--p1ai``);
    one the IDNA codec refuses is kept as it is."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def without_surrogates(text: str) -> str:
    """``text`` with any lone surrogate (a JSON ``"\\ud800"``, a file name's undecodable byte
    as ``os.fsdecode`` keeps it) replaced by U+FFFD, so that it can be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def make_id(url: str | None, content: bytes | str = b"") -> str:
    """A stable id: from the canonical URL when there is one, else from the content."""
    if url:
        key = b"url:" + canonical_url(url).encode("utf-8")
    else:
        raw = content.encode("utf-8") if isinstance(content, str) else content
        key = b"content:" + raw
    return hashlib.sha1(key).hexdigest()[:16]


@dataclass(slots=True)
class Document:
    """One input page on its way to becoming a cleaned, grouped article.

    Big fields are kept out of ``repr`` so a log line never prints a whole page.
    """

    id: str
    source: str
    url: str | None = None
    html: str | None = field(default=None, repr=False)
    text: str = field(default="", repr=False)
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date or datetime, UTC when a zone is known
    language: str | None = None
    sitename: str | None = None
    # Set by grouping.
    cluster_id: str | None = None
    relation: str | None = None
    duplicate_of: str | None = None
    # A crawled page: the URLs that redirected to it (remembered with it, never written).
    redirected_from: tuple[str, ...] = field(default=(), repr=False)
    # Which of title, author and published the input states for itself (a JSONL record's
    # fields): the page's own metadata fills only the others.
    given: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def is_html(self) -> bool:
        return self.html is not None


# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, Han), with
# the CJK and full-width punctuation that goes with them.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff00-\uffef]+"
)
UNSPACED_CHARS_PER_WORD = 2


def unspaced_chars(text: str) -> int:
    """How many characters of ``text`` are of a script written without spaces."""
    return 0 if text.isascii() else sum(len(run) for run in _UNSPACED.findall(text))


def count_words(text: str) -> int:
    """The words of ``text``: what lies between spaces and, in scripts written without spaces
    (Chinese, Japanese, Thai, ...), one word for every two characters (about the length of a
    word in Chinese and Japanese news). So "80 words" asks as much of an article in Japanese
    as in English, give or take."""
    if text.isascii():
        return len(text.split())
    unspaced = 0

    def cut(match: re.Match[str]) -> str:
        nonlocal unspaced
        unspaced += len(match.group())
        return " "

    spaced = len(_UNSPACED.sub(cut, text).split())
    return spaced + -(-unspaced // UNSPACED_CHARS_PER_WORD)
