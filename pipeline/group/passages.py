"""Cut an article's text into passages (sentences) with character offsets into the text.

Sentences are the unit wire copy is reused in: outlets cut, reorder and reword whole sentences,
so a sentence survives as a recognisable unit where paragraphs and fixed windows do not
(measured on wire-dev; see bench/grouping_quality.py). Lines are hard boundaries, because a line
break in extracted text is a paragraph, heading or list item.
"""

from __future__ import annotations

import re

# A sentence ends at terminal punctuation (plus closing quotes or brackets) followed by space
# and something that can start a sentence; a line break always ends a passage.
_BOUNDARY = re.compile(
    r"\n|[.!?\u2026]([\"'\u201d\u2019)\]]*)[ \t\u00a0]+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])"
)
# Words after which a full stop rarely ends a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sen rep gov gen lt col maj capt sgt st jr sr rev hon pres supt insp
    inc co corp ltd plc llc bros dept univ assn est vs etc al approx fig no nos vol op cf
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun
    mt ft ave blvd rd
    """.split()
)
_OPENERS = "\"'(\u201c\u2018["


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``text[dot]`` closes an abbreviation or an initial."""
    begin = max(text.rfind(" ", max(0, dot - 24), dot), text.rfind("\n", max(0, dot - 24), dot))
    word = text[begin + 1 : dot].lstrip(_OPENERS)
    if not word:
        return False
    if len(word) == 1:
        return word.isalpha()  # an initial: "J. K. Rowling"
    if "." in word:
        return all(len(part) <= 2 and part.isalpha() for part in word.split("."))  # "U.S"
    return word.lower() in _ABBREVIATIONS


def split_passages(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text``, in order, stripped of outer space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        cut = match.start()
        if text[cut] == "\n":
            nxt = match.end()
        else:
            if text[cut] == "." and _is_abbreviation(text, cut):
                continue
            cut = match.end(1)  # closing quotes and brackets stay with their sentence
            nxt = match.end()
        piece = text[start:cut]
        stripped = piece.strip()
        if stripped:
            lead = start + len(piece) - len(piece.lstrip())
            spans.append((lead, lead + len(stripped)))
        start = nxt
    piece = text[start:]
    stripped = piece.strip()
    if stripped:
        lead = start + len(piece) - len(piece.lstrip())
        spans.append((lead, lead + len(stripped)))
    return spans


_TERMINAL = re.compile(r"[.!\u2026][\"'\u201d\u2019)\]]*$")


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether the passage is a line of its own without a full stop: a heading, list or table line.

    A question on a line of its own is a heading too (FAQ sections). Such lines are short and
    formulaic, so two articles on one topic share them by chance far more often than sentences.
    """
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    return whole_line and _TERMINAL.search(text[start:end]) is None
