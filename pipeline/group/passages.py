"""Cut an article's text into passages (sentences) with character offsets into the text.

Sentences are the unit wire copy is reused in: outlets cut, reorder and reword whole sentences,
so a sentence survives as a recognisable unit where paragraphs and fixed windows do not
(measured on wire-dev; see bench/grouping_quality.py). Lines are hard boundaries, because a line
break in extracted text is a paragraph, heading or list item.
"""

from __future__ import annotations

import re

# A sentence ends at terminal punctuation (plus closing quotes or brackets) followed by space
# and something that can start a sentence (group 2: its first letter or digit, checked by
# ``_starts_sentence``), or at a full stop of Chinese or Japanese, which needs no space; a line
# break always ends a passage. Terminals: . ! ? … and the Arabic question mark and full stop and
# the Devanagari danda; openers include „ « ¿ ¡.
_BOUNDARY = re.compile(
    r"\n"
    r"|[.!?\u2026\u061f\u06d4\u0964]([\"'\u201d\u2019\u00bb)\]]*)[ \t\u00a0]+"
    r"(?=[\"'\u201c\u2018\u201e\u00ab(\[\u00bf\u00a1]?(\w))"
    r"|[\u3002\uff01\uff1f]([\u300d\u300f\u201d\u2019\uff09)\]]*)[ \t\u00a0\u3000]*(?=\S)"
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


def _starts_sentence(char: str) -> bool:
    """A sentence starts with a capital, a digit, or a letter of a script without case
    (Arabic, Hebrew, Chinese, ...): not with a lower-case letter (or "_")."""
    return char.isdigit() or (char.isalpha() and not char.islower())


def split_passages(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text``, in order, stripped of outer space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        cut = match.start()
        if text[cut] == "\n":
            nxt = match.end()
        elif match.start(3) >= 0:  # 。！？
            cut = match.end(3)
            nxt = match.end()
        else:
            if not _starts_sentence(text[match.start(2)]):
                continue
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


_TERMINAL = re.compile(
    r"[.!\u2026\u06d4\u0964\u3002\uff01][\"'\u201d\u2019\u00bb)\]\u300d\u300f\uff09]*$"
)


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether the passage is a line of its own without a full stop: a heading, list or table line.

    A question on a line of its own is a heading too (FAQ sections). Such lines are short and
    formulaic, so two articles on one topic share them by chance far more often than sentences.
    """
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    return whole_line and _TERMINAL.search(text[start:end]) is None
