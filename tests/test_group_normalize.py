"""Normalisation: what copy desks change without changing meaning folds away."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.group.normalize import normalize, text_hash


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Minister SAID: \u201cNo.\u201d", 'the minister said "no"'),
        ("It\u2019s over,  they   said.", "it is over they said"),
        ("They didn't go; we can't.", "They did not go we can not"),
        ("Prices rose 5% in May.", "prices rose 5 per cent in may"),
        ("Prices rose 5 percent in May.", "Prices rose 5 pct in May."),
        ("about 1,000 people", "about 1000 people"),
        ("a $5 million grant", "a 5 million dollars grant"),
        ("a $5m grant", "a $5 million grant"),
        ("US$3.5bn", "3.5 billion dollars"),
        ("two senior officials", "2 senior officials"),
        ("on Jan. 5th", "on January 5"),
        ("30K jobs", "30,000 jobs"),
        ("the colour of the centre", "the color of the center"),
        # digits of other scripts, and the Arabic separators and percent sign
        ("بلغ عدد السكان ١٬٨٠٠ بنسبة ٢٫٥٪", "بلغ عدد السكان 1,800 بنسبة 2.5%"),
        ("१२३ लोग", "123 लोग"),
        ("２０１６年に６％", "2016年に6%"),
        ("Die Preise stiegen um 6 Prozent.", "Die Preise stiegen um 6 %."),
        ("subieron un 6 por ciento", "subieron un 6%"),
        ("une hausse de 6 pour cent", "une hausse de 6 %"),
        ("выросли на 6 процентов", "выросли на 6%"),
    ],
)
def test_equivalent_wordings_normalise_alike(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("5 percent", "6 percent"),
        ("the mayor resigned", "the mayor stayed"),
        ("$5 million", "5 million euros"),
        ("١٨٠٠ نسمة", "١٨٠١ نسمة"),
    ],
)
def test_different_facts_stay_different(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)


def test_output_is_lower_case_words_and_single_spaces() -> None:
    out = normalize("  Hello,\tWORLD!!  (Yes) \u2014 caf\u00e9 \u2192 ok_go  ")
    assert out == "hello world yes caf\u00e9 ok go"


@given(st.text(max_size=200))
def test_newlines_are_kept_so_passages_stay_apart(text: str) -> None:
    assert normalize(text).count("\n") == text.count("\n")


@given(st.text(max_size=100))
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_text_hash_folds_layout_and_is_empty_for_nothing() -> None:
    def h(text: str) -> bytes:
        return text_hash(normalize(text).split("\n"))

    assert h("A  line.\n\nAnother LINE!") == h("a line another line")
    assert h("a line") != h("a lime")
    assert h(" ... \n !") == b""
    assert len(h("x")) == 16
