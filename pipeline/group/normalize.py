"""Text normalisation for comparing articles: fold what copy desks change without changing meaning.

Two texts that differ only in case, whitespace, punctuation, quote style, contractions, or in how
numbers, percentages, money and months are written normalise to the same string. The
normalised form is only ever compared and hashed, never shown: evidence quotes the original.

Speed matters (this runs over every character of every article), so the work is done with
``str`` methods and a few regular expressions that start with a literal or a digit class, which
the regex engine can scan for quickly; word-level rewrites go through one dictionary lookup per
token.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_APOSTROPHES = ("\u2019", "\u2018", "\u201b", "\u2032", "\u00b4", "`")
_NEGATIONS = (("can't", "can not"), ("won't", "will not"), ("shan't", "shall not"), ("n't", " not"))
_CONTRACTION = re.compile(r"'(re|ve|ll|m|d)\b")
_CONTRACTED = {"re": " are", "ve": " have", "ll": " will", "m": " am", "d": " would"}
# After punctuation is gone, "it's" reads "it s": the s is "is" after these words.
_IS_AFTER = ("it", "that", "there", "here", "what", "who", "he", "she", "where", "how")
_CURRENCIES = (("$", " zzcurdollars "), ("\u00a3", " zzcurpounds "), ("\u20ac", " zzcureuros "))

_WORDS = {
    "cannot": "can not",
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "pct": "percent",
    # "percent" in other languages, in one word (Prozent, procent, процент(а/ов), procento)
    "prozent": "percent",
    "procent": "percent",
    "procento": "percent",
    "процент": "percent",
    "процента": "percent",
    "процентов": "percent",
    "jan": "january",
    "feb": "february",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
    "colour": "color",
    "favour": "favor",
    "labour": "labor",
    "centre": "center",
    "programme": "program",
    "defence": "defense",
    "licence": "license",
}
_MAGNITUDES = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "b": "billion",
    "bn": "billion",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
}
# "per cent" in two words: English, French, Italian, Spanish, Portuguese
_PER_CENT = (" per cent ", " pour cent ", " per cento ", " por ciento ", " por cento ")
_ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")

_DIGIT_SEPARATOR = re.compile(r"[.,](?=[0-9])")
# The unit may follow after any spacing but a line break (str.split() splits on all of it), and
# a unit spelled out is matched too: "1000 billion" must not fold into "1 thousand billion".
_NUMBER = re.compile(r"[0-9]\w*(?:[^\S\n]+(?:bn|mn|m|b|k|thousand|million|billion|trillion)\b)?")
_MONEY = re.compile(
    r"zzcur(dollars|pounds|euros) *([0-9]+(?: (?:thousand|million|billion|trillion))?)?"
)
_PUNCT = re.compile(r"[^\w\s]+")
# Punctuation goes in one C-speed pass over the UTF-8 bytes: ASCII bytes never occur inside a
# multi-byte character, so this is safe for any text; the regex only runs for what is left.
_PUNCT_BYTES = b"".join(bytes([c]) for c in range(128) if not (chr(c).isalnum() or chr(c) in " \n"))
_ASCII_PUNCT = bytes.maketrans(_PUNCT_BYTES, b" " * len(_PUNCT_BYTES))
_COMMON_MARKS = ("\u2014", "\u2013", "\u201c", "\u201d", "\u2026", "\u2022", "\u00a9", "\u00ae")


# Decimal digits of the other scripts of the Basic Multilingual Plane ("١٨٠٠" is "1800"), with
# the Arabic decimal and thousands separators and percent sign, become ASCII (NFKC already folds
# full-width and mathematical digits). An explicit class: scanning for it is about seven times
# faster than for ``\d`` less [0-9] (and the table takes 5 ms to build).
_OTHER_DIGIT = re.compile(
    "["
    + "".join(
        f"{chr(c)}-{chr(c + 9)}"
        for c in range(0x80, 0x10000)
        if unicodedata.category(chr(c)) == "Nd" and unicodedata.digit(chr(c)) == 0
    )
    + "\u066a-\u066c]"
)
_ARABIC_MARKS = {"\u066b": ".", "\u066c": ",", "\u066a": "%"}


def _ascii_digit(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ARABIC_MARKS.get(char) or str(unicodedata.digit(char))


def _separator(match: re.Match[str]) -> str:
    # A comma or point between digits goes ("1,000" = "1000"); before a digit only, a space.
    at = match.start()
    return "" if at and match.string[at - 1] in "0123456789" else " "


def _number(match: re.Match[str]) -> str:
    head, *rest = match.group(0).split(None, 1)
    unit = rest[0] if rest else ""
    digits = head.rstrip("abcdefghijklmnopqrstuvwxyz")
    suffix = head[len(digits) :]
    if suffix in _ORDINAL_SUFFIXES:
        suffix = ""
    elif suffix in _MAGNITUDES and not unit:
        unit, suffix = suffix, ""
    if unit:
        unit = _MAGNITUDES[unit]
    elif not suffix and len(digits) > 3 and digits.isdigit():
        for zeros, word in ((9, "billion"), (6, "million"), (3, "thousand")):
            if len(digits) > zeros and digits.endswith("0" * zeros):
                digits, unit = digits[:-zeros], word
                break
    out = digits + suffix
    return f"{out} {unit}" if unit else out


def _money(match: re.Match[str]) -> str:
    amount = match.group(2)
    return f" {amount} {match.group(1)} " if amount else f" {match.group(1)} "


def normalize(text: str) -> str:
    """The comparable form of ``text``; newlines are kept, so passages joined by ``\\n`` stay apart.

    NFKC, lower case, digits of every script as ASCII, contractions expanded, small number
    words as digits, thousands separators and decimal points dropped, "%"/"per cent" (and
    "Prozent", "por ciento", "процентов", ...) as "percent", "$5m"/"5 million dollars" alike,
    ordinals as plain numbers, month abbreviations spelled out, a few UK spellings as US ones,
    punctuation removed, runs of spaces collapsed.
    """
    s = unicodedata.normalize("NFKC", text).lower()
    if not s.isascii():
        s = _OTHER_DIGIT.sub(_ascii_digit, s)
    for mark in _APOSTROPHES:
        if mark in s:
            s = s.replace(mark, "'")
    if "'" in s:
        for short, long in _NEGATIONS:
            if short in s:
                s = s.replace(short, long)
        s = _CONTRACTION.sub(lambda m: _CONTRACTED[m.group(1)], s)
    if "%" in s:
        s = s.replace("%", " percent ")
    for sign, word in _CURRENCIES:
        if sign in s:
            s = s.replace(sign, word)
    s = _DIGIT_SEPARATOR.sub(_separator, s)
    for mark in _COMMON_MARKS:
        if mark in s:
            s = s.replace(mark, " ")
    s = s.encode("utf-8").translate(_ASCII_PUNCT).decode("utf-8")
    if not s.isascii():
        s = _PUNCT.sub(" ", s)
    s = _NUMBER.sub(_number, s)
    if "zzcur" in s:
        s = _MONEY.sub(_money, s.replace("us zzcur", "zzcur"))
    get = _WORDS.get
    # Tokens line by line; padding each line with spaces lets " it s " match at its edges.
    lines = s.split("\n")
    s = "\n".join([" " + " ".join(map(get, toks, toks)) + " " for toks in map(str.split, lines)])
    if " s " in s:
        for word in _IS_AFTER:
            short = f" {word} s "
            if short in s:
                s = s.replace(short, f" {word} is ")
    for phrase in _PER_CENT:
        if phrase in s:
            s = s.replace(phrase, " percent ")
    return "\n".join([line[1:-1] for line in s.split("\n")])


def text_hash(norm_lines: Iterable[str]) -> bytes:
    """Hash of a whole text from its normalised lines (``normalize`` output, split on
    newlines), for the ``exact`` relation (16 bytes); line breaks do not count. Empty for a
    text with nothing left to compare, which is a duplicate of nothing."""
    flat = " ".join([line for line in norm_lines if line])
    if not flat:
        return b""
    return hashlib.blake2b(flat.encode("utf-8"), digest_size=16).digest()
