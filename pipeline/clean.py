"""The text-level chrome cleaner (the ``clean`` step) and the article gate that follows it.

It works from the text alone, so it serves both extracted HTML and plain-text input. Which lines
are chrome is decided by the rule table in ``pipeline.chrome_rules``; this module applies it in
one pass over the lines, then handles what needs the whole text:

- **Title.** The title lives in ``doc.title``, so a line equal to it before the first line of
  prose is dropped (``title_repeat``; further down it is a section heading); a title with a
  site suffix ("Headline | Site") also matches the bare headline. Without a title, the first
  line left after chrome removal is taken as the title when it looks like a heading: 2 to 25
  words, at most 200 characters, no final ``. , ; :`` (also inside a closing quote), not a
  dateline ending in a dash ("WASHINGTON (Reuters) -"), not a byline ("By ..."), no URL.
  Plain-text captures put the headline first; a text that starts with a paragraph gets none.
- **Comment sections.** A comment marker line (rules of action ``cut``) is always dropped. It
  also drops everything after it when it is strong, or has a strong marker within
  ``CUT_WINDOW`` lines, and at least ``MIN_WORDS_BEFORE_CUT`` words of article precede it; or
  when it is weak, another weak marker follows within ``CUT_WINDOW`` lines, and at least
  ``MIN_WORDS_BEFORE_WEAK_CUT`` words precede it (so the first part of an article is safe: a
  byline's "5 Comments" next to "Leave a comment" must not empty the page).
- **Layout.** Whitespace is collapsed, invisible characters removed, and paragraphs separated
  by one blank line. In input that uses blank lines, lines that were adjacent (a list) stay
  together. Input without any blank line (trafilatura's one-paragraph-per-line output) gets one
  paragraph per line, except that a run of list items ("- ", "• ", "1. ") stays together. So a
  text whose only blank lines surrounded chrome comes back as a single paragraph, and cleaning
  that again splits its non-list lines apart.

The gate: fewer than ``cfg.min_words`` words raises ``Drop("too_short")``; a text that reads as a
list of links raises ``Drop("not_article")`` (see ``looks_like_listing``). The gate is a
backstop for text input: an HTML listing page is best declined before extraction.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from dataclasses import dataclass

from pipeline.chrome_rules import CUT_WINDOW, RELATED_HEADING, RULES, Action, Rule
from pipeline.config import CleanConfig
from pipeline.document import Document, count_words
from pipeline.errors import Drop

log = logging.getLogger(__name__)

MIN_WORDS_BEFORE_CUT = 25
MIN_WORDS_BEFORE_WEAK_CUT = 100

_SPAN_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.action is Action.STRIP_SPAN)
_LINE_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.action is not Action.STRIP_SPAN)
_MAX_LIMIT = max(r.max_words or 0 for r in _LINE_RULES)
# The line rules that apply to a line of n words, for n up to _MAX_LIMIT + 1 (longer lines).
_RULES_FOR_WORDS: tuple[tuple[Rule, ...], ...] = tuple(
    tuple(r for r in _LINE_RULES if r.max_words is None or r.max_words >= n)
    for n in range(_MAX_LIMIT + 2)
)
_MARGIN_ONLY: frozenset[str] = frozenset(r.name for r in RULES if r.margin_only)
_DONATION_RULES = frozenset({"donation_amount", "donation_cta", "donation_name", "donation_appeal"})
_WEAK, _STRONG = 1, 2

# Runs of two or more spaces, or any other horizontal space (not plain single spaces: replacing
# every space would rebuild the whole text).
_SPACES = re.compile(
    r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{2,}"
    r"|[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
)
# Zero-width characters and soft hyphens; control characters too (a NUL from a JSONL escape:
# many stores of text, PostgreSQL's among them, refuse it).
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\u00ad]")
_BULLET = re.compile(r"^(?:[-*•·▪►»◦‣]|\d{1,2}[.)])\s+")
_NOTHING_LEFT = re.compile(r"^[\W_]*$")
_TITLE_KEY_DROP = re.compile(r"[^\w\s]+")
_SITE_SUFFIX = re.compile(r"\s+[|\-–—»:·]\s+[^|\-–—»:·]{1,60}$")
# A sentence's or a clause's end (also inside a closing quote), or a dateline's dash.
_HEADING_END = re.compile(r"[.,;:][\"'”’»)]*$|\s[-–—]$")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_NOT_LINK = re.compile(r"[{}=;<>\[\]\\`|#@$%→]|\w\(|//|[.!:;,。！？：；，、]$")
_LETTER = re.compile(r"[^\W\d_]")
_INTRO_MIN_WORDS = 5
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?:\s|$)|[。！？]")


@dataclass(frozen=True, slots=True)
class CleanResult:
    text: str
    title: str | None
    rules_fired: dict[str, int]  # rule name -> lines it removed or edited


@dataclass(slots=True)
class _Line:
    text: str
    starts_paragraph: bool
    words: int = 0
    rule: str | None = None  # the rule that removes the line, None when it is kept
    marker: int = 0  # comment-section marker: 0 none, _WEAK or _STRONG


def clean_text(text: str, title: str | None = None) -> CleanResult:
    """Remove page chrome from article text; infer a title from plain text when none is given."""
    fired: Counter[str] = Counter()
    lines, title = _analyse(text, title, fired)
    for line in lines:
        if line.rule is not None:
            fired[line.rule] += 1
    return CleanResult(_join(lines), title, dict(sorted(fired.items())))


def _analyse(text: str, title: str | None, fired: Counter[str]) -> tuple[list[_Line], str | None]:
    lines = _split(text)
    for line in lines:
        _classify(line, fired)
    _drop_related_lists(lines)
    _cut_comment_section(lines)
    _keep_margin_rules_in_body(lines)
    if title is None:
        title = _infer_title(lines)
    if title:
        _drop_title_lines(lines, title)
    return lines, title


def trace(text: str, title: str | None = None) -> list[tuple[str, str | None]]:
    """Every non-blank line of ``text`` with the rule that removed it (None: kept).

    For inspecting and measuring the rules; ``clean_text`` is the same computation.
    """
    lines = _analyse(text, title, Counter())[0]
    return [(line.text, line.rule) for line in lines]


def clean(doc: Document, cfg: CleanConfig) -> Document:
    """The ``clean`` step: chrome removal, then the article gate."""
    result = clean_text(doc.text, doc.title)
    log.debug("clean %s: %s", doc.id, result.rules_fired)
    words = count_words(result.text)
    if words < cfg.min_words:
        raise Drop("too_short", source=doc.source, detail=f"{words} words")
    if looks_like_listing(result.text):
        raise Drop("not_article", source=doc.source, detail="mostly short link-like lines")
    title = _INVISIBLE.sub("", doc.title) if doc.title else result.title
    return dataclasses.replace(doc, text=result.text, title=title)


def looks_like_listing(text: str) -> bool:
    """True for an index or listing page: mostly short link-like lines, little running prose.

    Hard-wrapped lines are first joined (a line that starts in lower case continues the one
    before). A line is prose when it has at least 12 words and ends a sentence somewhere, or
    has at least 25 words. It is link-like when it has at most 12 words, mostly letters, no
    code or table characters, does not end like a sentence or a clause (``. ! : ; ,``) and is
    not a list item: a headline. List items are bulleted, or follow a line of 5 words or more
    ending in ":" up to the next prose line (a wire factbox: "The winners were:", then "Best
    actor: X" lines). They are an article's own lists (a checklist, the brands a guide
    recommends); a listing's headlines are extracted as paragraphs and headings, and counting
    bullets as links declined real articles on WCXB dev. A text is a listing when at least 8
    lines, and 60% of all lines, are link-like and prose holds less than 40% of the words.
    """
    logical: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if logical and line[0].islower() and not logical[-1].endswith((".", "!", "?", ":")):
            logical[-1] += " " + line
        else:
            logical.append(line)
    link_like = prose_words = total_words = 0
    # under a sentence ending in ":" ("The winners were:"): the items of a list. A short label
    # ("Sort by:", "Filter:") heads a shop's or an index's links instead.
    introduced = False
    for line in logical:
        n = count_words(line)
        total_words += n
        if _is_prose(line, n):
            prose_words += n
            introduced = False
        elif _is_link_like(line, n) and not _BULLET.match(line) and not introduced:
            link_like += 1
        introduced = introduced or (line.endswith(":") and n >= _INTRO_MIN_WORDS)
    return link_like >= 8 and link_like >= 0.6 * len(logical) and prose_words < 0.4 * total_words


def _is_link_like(line: str, words: int) -> bool:
    if words > 12 or _NOT_LINK.search(line):
        return False
    chars = line.replace(" ", "")
    return len(_LETTER.findall(chars)) >= 0.7 * len(chars)


def _is_prose(text: str, words: int) -> bool:
    return words >= 25 or (words >= 12 and _SENTENCE_END.search(text) is not None)


def _split(text: str) -> list[_Line]:
    raw = _SPACES.sub(" ", _INVISIBLE.sub("", text)).splitlines()
    has_blank = any(not r.strip() for r in raw)
    lines: list[_Line] = []
    after_blank = True
    after_item = False
    for r in raw:
        norm = r.strip()
        if not norm:
            after_blank = True
            continue
        item = _BULLET.match(norm) is not None
        new_paragraph = after_blank or not (has_blank or (item and after_item))
        lines.append(_Line(norm, starts_paragraph=new_paragraph))
        after_blank, after_item = False, item
    return lines


def _classify(line: _Line, fired: Counter[str]) -> None:
    text = line.text
    folded = text.casefold()
    for rule in _SPAN_RULES:
        if rule.needles and not _has_needle(rule, folded):
            continue
        stripped = rule.pattern.sub("", text)
        if stripped != text:
            text = " ".join(stripped.split())
            if _NOTHING_LEFT.match(text):
                line.rule = rule.name
                return
            fired[rule.name] += 1
            folded = text.casefold()
    line.text = text
    key = _unbulleted(text)
    line.words = n = count_words(key)
    for rule in _RULES_FOR_WORDS[min(n, _MAX_LIMIT + 1)]:
        if (not rule.needles or _has_needle(rule, folded)) and rule.pattern.search(key):
            line.rule = rule.name
            if rule.action is Action.CUT:
                line.marker = _STRONG if rule.strong else _WEAK
            return


def _drop_related_lists(lines: list[_Line]) -> None:
    under_heading = False
    for line in lines:
        if line.rule == "related_link":
            under_heading = RELATED_HEADING.match(_unbulleted(line.text)) is not None
        elif under_heading and line.rule is None and _BULLET.match(line.text):
            line.rule = "related_link"
        else:
            under_heading = False


def _keep_margin_rules_in_body(lines: list[_Line]) -> None:
    prose = [i for i, ln in enumerate(lines) if ln.rule is None and _is_prose(ln.text, ln.words)]
    if not prose:
        return
    widgets = _donation_widgets(lines)
    for i in range(prose[0] + 1, prose[-1]):
        if lines[i].rule in _MARGIN_ONLY and i not in widgets:
            lines[i].rule = None


def _donation_widgets(lines: list[_Line]) -> set[int]:
    """Lines of donation widgets: runs of money amounts and donation calls, parted by no kept
    line, that hold both ('0 $', '2,500 $', 'Support X'). A widget goes wherever it stands; an
    amount, or a 'Support X' heading, alone in the body stays."""
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, None]):
        if line is not None and line.rule in _DONATION_RULES:
            run.append(i)
            continue
        if line is not None and line.rule is not None:
            continue  # a line removed anyway ("Share this:") does not part a widget
        kinds = {lines[j].rule == "donation_amount" for j in run}
        if kinds == {True, False}:
            found.update(run)
        run = []
    return found


def _unbulleted(text: str) -> str:
    bullet = _BULLET.match(text)
    return text[bullet.end() :] if bullet else text


def _has_needle(rule: Rule, folded: str) -> bool:
    for needle in rule.needles:  # plain substring tests beat a regex alternation here
        if needle in folded:
            return True
    return False


def _title_key(s: str) -> str:
    return " ".join(_TITLE_KEY_DROP.sub(" ", s.casefold()).split())


def _is_heading(s: str) -> bool:
    n = count_words(s)
    return (
        2 <= n <= 25
        and len(s) <= 200
        and not _HEADING_END.search(s)
        and not s.casefold().startswith("by ")
        and not _URL.search(s)
    )


def _infer_title(lines: list[_Line]) -> str | None:
    first = next((ln for ln in lines if ln.rule is None), None)
    if first is None or not _is_heading(first.text):
        return None
    if not any(ln.rule is None and ln is not first for ln in lines):
        return None
    return first.text


def _drop_title_lines(lines: list[_Line], title: str) -> None:
    forms = [title]
    bare = _SITE_SUFFIX.sub("", title)
    if bare != title and len(bare.split()) >= 3:
        forms.append(bare)
    keys = {_title_key(f) for f in forms} - {""}
    if not keys:
        return
    # Only lines of about the title's length are compared: keys are costly to build.
    shortest = min(len(f) for f in forms) * 2 // 3
    longest = max(len(f) for f in forms) * 3 // 2 + 4
    for line in lines:
        if line.rule is not None:
            continue
        if shortest <= len(line.text) <= longest and _title_key(line.text) in keys:
            if _SENTENCE_END.search(line.text) and not _SENTENCE_END.search(title):
                return  # the lede sentence the headline was cut from: body text
            line.rule = "title_repeat"
        elif _is_prose(line.text, line.words):
            return  # the body has begun: a line equal to the title further down is a heading


def _cut_comment_section(lines: list[_Line]) -> None:
    words_before = 0
    for i, line in enumerate(lines):
        if line.marker:
            # A weak marker counts as strong next to a strong one ("12 Comments" above
            # "Sort by Best"), and needs a longer article before it next to a weak one.
            nearby = max((x.marker for x in lines[i + 1 : i + 1 + CUT_WINDOW]), default=0)
            if _STRONG in (line.marker, nearby):
                cut = words_before >= MIN_WORDS_BEFORE_CUT
            else:
                cut = nearby == _WEAK and words_before >= MIN_WORDS_BEFORE_WEAK_CUT
            if cut:
                assert line.rule is not None
                for rest in lines[i + 1 :]:
                    rest.rule = line.rule
                return
        elif line.rule is None:
            words_before += line.words


def _join(lines: list[_Line]) -> str:
    paragraphs: list[list[str]] = []
    pending_break = True
    for line in lines:
        pending_break = pending_break or line.starts_paragraph
        if line.rule is not None:
            continue
        if pending_break or not paragraphs:
            paragraphs.append([])
            pending_break = False
        paragraphs[-1].append(line.text)
    return "\n\n".join("\n".join(p) for p in paragraphs)
