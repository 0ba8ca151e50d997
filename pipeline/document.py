"""The one record that flows through every step."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

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

    Lower-cases scheme and host, drops the fragment, default ports, tracking parameters and a
    trailing slash on the path. A URL that cannot be parsed (a port that is not a number) is
    returned stripped, as given.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 host: kept as given
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = "&".join(sorted(p for p in parts.query.split("&") if p and not _is_tracking(p)))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, query, ""))


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
