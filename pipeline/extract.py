"""The ``extract`` step: an HTML page to its article text and metadata.

The page is parsed once. Metadata is read from the whole page, then its scripts and style
sheets are removed, page chrome is pruned (``pipeline.prune``) and trafilatura extracts the main
text from what is left. boilerpy3 takes over when trafilatura finds nothing, fails, or finds far
too little next to it (``CleanConfig.fallback_ratio``). Paragraphs repeated verbatim (pages that
carry the same block for mobile and desktop) are kept once.

trafilatura runs with ``include_comments=False`` (its default keeps reader comments) and
``deduplicate=False`` (its cache is process-global, which would make results depend on the order
documents are seen).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import replace

import lxml.etree
import trafilatura
from boilerpy3 import extractors as boilerpy3_extractors
from boilerpy3 import parser as boilerpy3_parser
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.config import CleanConfig
from pipeline.document import Document, count_words, make_id
from pipeline.errors import Drop
from pipeline.logonce import OncePerKind
from pipeline.metadata import is_json_ld, read_metadata
from pipeline.prune import prune_chrome

log = logging.getLogger(__name__)

# A repeated paragraph shorter than this (a list bullet, "Read more") may repeat legitimately.
_DEDUP_MIN_WORDS = 5
# trafilatura text at least this long is not "far too little", whatever boilerpy3 finds: on
# longer results boilerpy3 was measured to add page furniture more often than missed text.
_FALLBACK_MAX_CHARS = 500
# boilerpy3's text replaces a longer trafilatura result only when it is this much longer and
# holds this share of trafilatura's words (measured on WCXB dev, every page type gained).
_SUPERSET_GROWTH = 1.2
_SUPERSET_SHARED = 0.8
_WORD = re.compile(r"\w+")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?)\]])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])[ \t]+")
_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "svg", "select", "option", "textarea"}
)
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "section", "article", "main", "header", "footer", "nav", "aside", "figure",
        "figcaption", "form", "ul", "ol", "dl", "dd", "dt", "table", "tr", "body", "center",
        "address", "details", "summary",
    }
)  # fmt: skip
# boilerpy3 is consulted for a long trafilatura result only when prose-like blocks hold this
# many times its length: on WCXB dev articles this skipped it on 4 pages of 5 that had called
# it, with F1 0.9448 against 0.9442 when always called (it had mostly added furniture there).
_DENSE_ROOM = 1.5
_DENSE_MIN_WORDS = 5

# Libraries that log a warning per odd page ("discarding data: None", "SAX input contains nested
# A elements"): what they mean for the run is logged once here and counted in the run summary.
_CHATTY_LIBRARIES = ("trafilatura", "boilerpy3", "htmldate", "courlan", "justext")


def quiet_extractors(level: int = logging.CRITICAL) -> None:
    """Raise the extraction libraries' log level to ``level`` (the CLI and Scrapy pipeline call
    this unless asked for verbose or debug output). Their errors are per page too
    (trafilatura's "parsed tree length: 0"), and the run counts those pages as drops."""
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(level)


# One warning per reason per process; the run summary counts every occurrence.
_warn_once = OncePerKind(log, " (further cases are counted, not logged)", logging.DEBUG)


def extract(doc: Document, cfg: CleanConfig) -> Document:
    """Fill ``text``, ``title``, ``author``, ``published``, ``language`` and ``sitename``.

    A document without HTML is returned unchanged. What the input states for itself
    (``doc.given``: a JSONL record's fields) is kept; the page's metadata comes before what a
    feed or sitemap entry gave. When the document has no URL and the page declares an
    absolute canonical URL, that URL is adopted and the id recomputed from it.
    Raises ``Drop("extract_failed")`` when neither extractor finds any text.
    """
    if doc.html is None:
        return doc
    tree = parse_html(doc.html)
    if tree is None:  # the run logs the drop
        raise Drop("extract_failed", source=doc.source, detail="unparseable HTML")

    meta = read_metadata(tree, doc.url)
    _drop_code(tree)
    prune_chrome(tree)
    text = _main_text(tree, doc, cfg)
    if not text:
        raise Drop("extract_failed", source=doc.source, detail="no main text found")

    url, doc_id = doc.url, doc.id
    if url is None and meta.url is not None:
        url, doc_id = meta.url, make_id(meta.url)
    given = doc.given
    return replace(
        doc,
        id=doc_id,
        url=url,
        text=text,
        title=doc.title if "title" in given else meta.title or doc.title,
        author=doc.author if "author" in given else meta.author or doc.author,
        published=doc.published if "published" in given else meta.published or doc.published,
        language=meta.language or doc.language,
        sitename=meta.sitename or doc.sitename,
    )


def _drop_code(tree: HtmlElement) -> None:
    """Remove scripts and style sheets (not their tails), once the metadata has been read.

    No extractor keeps their contents, but trafilatura copies the tree several times and runs
    its searches over all of it: without them it took about 4% less time on the WCXB dev
    pages, with the same text on all but one (a forum thread, where it found more of the
    posts). JSON-LD stays: trafilatura's last resort reads an ``articleBody`` from it.
    """
    for el in list(tree.iter("script", "style")):
        if el.tag == "script" and is_json_ld(el):
            continue
        el.drop_tree()


def parse_html(html: str) -> HtmlElement | None:
    """Parse a page once; the tree is shared by metadata, pruning and extraction."""
    tree = load_html(html)
    return tree if isinstance(tree, HtmlElement) else None


def _main_text(tree: HtmlElement, doc: Document, cfg: CleanConfig) -> str:
    text = _trafilatura_text(tree, doc)
    # boilerpy3 can only win with more text than trafilatura's, and it cannot find more than
    # the page shows: skip it (the costliest step after trafilatura) when the page has no room
    # for that. Past the short-result case, the room is counted in prose-like blocks only.
    if text:
        visible, dense = _text_room(tree)
        if visible < _SUPERSET_GROWTH * len(text) or (
            len(text) >= _FALLBACK_MAX_CHARS and dense < _DENSE_ROOM * len(text)
        ):
            return text
    backup = _boilerpy3_text(tree, doc)
    if not text:
        if backup:
            _warn_once(
                "trafilatura_empty", "trafilatura found no text, boilerpy3 used: %s", doc.source
            )
        return backup
    if len(text) < _FALLBACK_MAX_CHARS and len(text) < cfg.fallback_ratio * len(backup):
        _warn_once(
            "trafilatura_short", "trafilatura found too little, boilerpy3 used: %s", doc.source
        )
        return backup
    if _extends(backup, text):
        return backup
    return text


def _extends(longer: str, shorter: str) -> bool:
    """True when ``longer`` holds nearly all of ``shorter``'s words and a good deal more.

    trafilatura stops early on some pages (a malformed embed swallowing the rest of the article,
    a wrapper named like a widget); boilerpy3 reading on is then the whole article, not extra
    furniture, which shows as its text containing trafilatura's almost entirely.
    """
    if len(longer) < _SUPERSET_GROWTH * len(shorter):
        return False
    short_words = Counter(_WORD.findall(shorter.lower()))
    long_words = Counter(_WORD.findall(longer.lower()))
    shared = sum((short_words & long_words).values())
    return shared >= _SUPERSET_SHARED * sum(short_words.values())


def _trafilatura_text(tree: HtmlElement, doc: Document) -> str:
    try:
        result = trafilatura.bare_extraction(
            tree,
            url=doc.url,
            include_comments=False,
            deduplicate=False,
            with_metadata=False,
        )
    except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as exc:
        _warn_once("trafilatura_error", "trafilatura failed on %s: %r", doc.source, exc)
        return ""
    if result is None or isinstance(result, dict):
        return ""
    return _dedup_paragraphs(result.text or "")


def _boilerpy3_text(tree: HtmlElement, doc: Document) -> str:
    try:
        text = _boilerpy3_article(tree)
    # boilerpy3 is the fallback: whatever it fails with, the page keeps trafilatura's text (its
    # own parse used to turn every error into HTMLExtractionError; its handlers, called here
    # directly, raise what they raise)
    except Exception as exc:  # noqa: BLE001
        _warn_once("boilerpy3_error", "boilerpy3 failed on %s: %r", doc.source, exc)
        return ""
    # boilerpy3 joins text nodes with a space: "a link ." and "( see )"
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    return _dedup_paragraphs(text.strip())


def _boilerpy3_article(tree: HtmlElement) -> str:
    """boilerpy3's ArticleExtractor on the parsed page.

    boilerpy3 reads a page as a stream of start tags, text and end tags, which it gets from
    Python's ``html.parser`` when given a string. The stream is made here from the tree the page
    was parsed into, every element closed (a void element's end tag, ``</br>``, ends a block
    its start tag has already ended): writing the tree out for boilerpy3 to parse again gave
    the same text on every WCXB dev and wire-dev page but one (where ``html.parser`` read a
    script's code as text), at twice the cost.
    """
    handler = boilerpy3_parser.BoilerpipeHTMLParser(raise_on_failure=True)
    start, end, text = handler.handle_starttag, handler.handle_endtag, handler.handle_data
    handler.start_document()
    # (element, True once its content has been sent and only its end tag is left)
    stack: list[tuple[HtmlElement, bool]] = [(tree, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            end(el.tag)
        elif isinstance(el.tag, str):
            start(el.tag, el.items())
            if el.text:
                text(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))
            continue
        # a comment or processing instruction says nothing itself; what follows it does
        if el.tail:
            text(el.tail)
    handler.end_document()
    article = handler.to_text_document()
    boilerpy3_extractors.ArticleExtractor(raise_on_failure=True).filter.process(article)
    return str(article.content)


def _text_room(tree: HtmlElement) -> tuple[int, int]:
    """Characters of text a reader could see, and those of them in prose-like blocks.

    A block is the nearest block-level element around a piece of text; it is prose-like with
    at least ``_DENSE_MIN_WORDS`` words of which under a third are link text, the blocks a
    boilerplate detector like boilerpy3 keeps. Script, style and form-control contents are not
    counted.
    """
    body = tree.find("body")
    if body is None:
        return 0, 0
    # block element -> its characters, link characters and pieces of text (words are counted
    # once a block is complete: a count per piece was about a fifth of the time). Keyed by the
    # element itself, which keeps its proxy alive: an lxml proxy's id() can be reused by
    # another element once it is freed, which merged unrelated blocks' counts depending on
    # memory reuse.
    blocks: defaultdict[HtmlElement, _Block] = defaultdict(_Block)
    # (element, the block and link state of its parent)
    stack: list[tuple[HtmlElement, HtmlElement, bool]] = [(body, body, False)]
    push = stack.append
    while stack:
        el, block, in_link = stack.pop()
        tail = el.tail
        if tail and (chars := len(tail.strip())):
            blocks[block].add(tail, chars, in_link)
        tag = el.tag
        if not isinstance(tag, str) or tag in _INVISIBLE:
            continue
        if tag in _BLOCK_TAGS:
            block = el
        if tag == "a":
            in_link = True
        text = el.text
        if text and (chars := len(text.strip())):
            blocks[block].add(text, chars, in_link)
        for child in el:
            push((child, block, in_link))
    visible = dense = 0
    for totals in blocks.values():
        visible += totals.chars
        if (
            totals.link_chars * 3 < totals.chars
            and count_words(" ".join(totals.pieces)) >= _DENSE_MIN_WORDS
        ):
            dense += totals.chars
    return visible, dense


class _Block:
    """What ``_text_room`` gathers for one block."""

    __slots__ = ("chars", "link_chars", "pieces")

    def __init__(self) -> None:
        self.chars = 0
        self.link_chars = 0
        self.pieces: list[str] = []

    def add(self, piece: str, chars: int, in_link: bool) -> None:
        self.chars += chars
        if in_link:
            self.link_chars += chars
        self.pieces.append(piece)


def _dedup_paragraphs(text: str) -> str:
    seen: set[str] = set()
    kept: list[str] = []
    for line in text.split("\n"):
        key = " ".join(line.split()).lower()
        if len(key.split()) >= _DEDUP_MIN_WORDS:
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return "\n".join(kept).strip()
