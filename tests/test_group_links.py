"""Verification (exact, from the texts) and the link rule (with passage frequencies)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import GroupConfig
from pipeline.group.batch import make_signature
from pipeline.group.links import Evidence, Side, decide, passage_similarities, verify

FIXTURES = Path(__file__).parent / "fixtures" / "group"
SEED_A = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
SEED_B = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")
STORIES = json.loads((FIXTURES / "stories.json").read_text(encoding="utf-8"))
CFG = GroupConfig()


def side(id_: str, text: str, published: float | None = 0.0, site: str | None = None) -> Side:
    n = len(make_signature(text, CFG).spans)
    return Side(id_, published, len(text), site or f"{id_}.example", np.zeros(n, dtype=np.uint16))


def evidence(a: str, b: str) -> Evidence:
    ev = verify("a", make_signature(a, CFG), "b", make_signature(b, CFG), CFG)
    assert ev is not None
    return ev


def test_passage_similarities_are_exact_jaccard() -> None:
    a, b = make_signature(SEED_A, CFG), make_signature(SEED_B, CFG)
    got = passage_similarities(a, b)
    for i in range(len(a.spans)):
        for j in range(len(b.spans)):
            x, y = set(a.passage_set(i).tolist()), set(b.passage_set(j).tolist())
            assert got[i, j] == pytest.approx(len(x & y) / len(x | y))


def test_seed_evidence_is_two_sentence_pairs_and_links() -> None:
    ev = evidence(SEED_A, SEED_B)
    assert not ev.exact and ev.jaccard < 0.3
    assert len(ev.matches) == 2 and not any(m.heading for m in ev.matches)
    for m in ev.matches:
        assert SEED_A[m.a_start : m.a_end].endswith(".") and SEED_B[m.b_start : m.b_end].endswith(
            "."
        )
    d = decide(ev, side("a", SEED_A), side("b", SEED_B), CFG)
    assert d.relation == "wire_overlap" and d.reason == "2 shared passages"
    assert d.similarity == pytest.approx(np.mean([m.similarity for m in ev.matches]))


def test_one_shared_sentence_is_not_enough() -> None:
    quote = SEED_A.split("\n\n")[1].split(". ")[0] + "."
    cite = "\n\n".join([STORIES["filler"][0], f"A report said: {quote}", STORIES["filler"][2]])
    ev = evidence(SEED_A, cite)
    assert len(ev.matches) == 1
    d = decide(ev, side("a", SEED_A), side("b", cite), CFG)
    assert not d.linked and d.reason == "1 shared passage, need 2"


def test_one_sentence_quoted_twice_is_one_match() -> None:
    """Pairs are one-to-one: a report's sentence quoted twice is still one shared passage."""
    quote = SEED_A.split("\n\n")[1].split(". ")[0] + "."
    cite = "\n\n".join(
        [STORIES["filler"][0], f"A report said: {quote}", STORIES["filler"][2], f"Again: {quote}"]
    )
    ev = evidence(SEED_A, cite)
    assert len(ev.matches) == 1
    assert not decide(ev, side("a", SEED_A), side("b", cite), CFG).linked


def test_two_pairs_below_passage_best_do_not_link() -> None:
    """Two sentence pairs above passage_match link only when one reaches passage_best."""
    ev = evidence(SEED_A, SEED_B)
    assert len(ev.matches) == 2
    low = [CFG.passage_best - 0.05, CFG.passage_best - 0.07]
    assert all(x >= CFG.passage_match for x in low)
    weak = replace(
        ev, matches=[m._replace(similarity=x) for m, x in zip(ev.matches, low, strict=True)]
    )
    d = decide(weak, side("a", SEED_A), side("b", SEED_B), CFG)
    assert not d.linked
    assert f"none with similarity >= {CFG.passage_best:.2f}" in d.reason
    one_best = [CFG.passage_best, low[1]]
    strong = replace(
        ev, matches=[m._replace(similarity=x) for m, x in zip(ev.matches, one_best, strict=True)]
    )
    assert decide(strong, side("a", SEED_A), side("b", SEED_B), CFG).linked


def test_passages_common_on_both_sides_do_not_count() -> None:
    ev = evidence(SEED_A, SEED_B)
    a, b = side("a", SEED_A), side("b", SEED_B)
    m = ev.matches[0]
    common_a, common_b = a.df.copy(), b.df.copy()
    common_a[m.i] = common_b[m.j] = CFG.max_passage_df + 1
    d = decide(ev, replace(a, df=common_a), replace(b, df=common_b), CFG)
    assert not d.linked and "1 more too common to count" in d.reason
    # common on one side only (it meets that side's copies elsewhere): it counts
    assert decide(ev, replace(a, df=common_a), b, CFG).linked
    assert decide(ev, a, replace(b, df=common_b), CFG).linked
    common_a[m.i] = common_b[m.j] = CFG.max_passage_df  # at the limit still counts
    assert decide(ev, replace(a, df=common_a), replace(b, df=common_b), CFG).linked


def test_headings_and_list_lines_need_more_company() -> None:
    lines = [
        "Opening hours and ticket prices for the summer season",
        "Guided tours of the restored glass plates every Saturday",
        "Free entry on the first Sunday of every single month",
    ]
    a = "\n".join(lines[:2]) + "\n\n" + STORIES["filler"][0]
    b = "\n".join(lines[:2]) + "\n\n" + STORIES["filler"][3]
    ev = evidence(a, b)
    assert len(ev.matches) == 2 and all(m.heading for m in ev.matches)
    d = decide(ev, side("a", a), side("b", b), CFG)
    assert not d.linked and "headings or list lines" in d.reason
    a3, b3 = (
        "\n".join(lines) + "\n\n" + STORIES["filler"][0],
        "\n".join(lines) + "\n\n" + STORIES["filler"][3],
    )
    assert decide(evidence(a3, b3), side("a", a3), side("b", b3), CFG).linked


def test_loosely_similar_sentences_about_different_figures_do_not_match() -> None:
    a = "- Enterprise \u2013 $549/month (billed annually) \u2013 50,000 leads, 10 domains, and "
    a += "premium support."
    b = "- Professional \u2013 $229/month (billed annually) \u2013 25,000 leads, 5 domains, and "
    b += "advanced features."
    sa, sb = make_signature(a, CFG), make_signature(b, CFG)
    assert CFG.passage_match <= passage_similarities(sa, sb)[0, 0] < CFG.passage_best
    assert verify("a", sa, "b", sb, CFG) is None
    # The same figures written differently still match.
    c = "Enterprise: 549 dollars a month, billed annually, 50000 leads and 10 domains with "
    c += "premium support."
    assert verify("a", sa, "c", make_signature(c, CFG), CFG) is not None


def test_same_site_needs_coverage_and_window_needs_both_dates() -> None:
    ev = evidence(SEED_A, SEED_B)
    a, b = side("a", SEED_A, site="news.example"), side("b", SEED_B, site="news.example")
    d = decide(ev, a, b, CFG)
    assert not d.linked and "site furniture" in d.reason
    assert decide(ev, a, b, replace(CFG, same_site_coverage=0.05)).linked
    far = replace(side("b", SEED_B), published=10 * 86400.0)
    windowed = replace(CFG, window_days=3.0)
    assert "days apart" in decide(ev, side("a", SEED_A), far, windowed).reason
    assert decide(ev, side("a", SEED_A, published=None), far, windowed).linked


def test_exact_and_near_duplicates() -> None:
    text = STORIES["harbor"]
    ev = evidence(text, text.upper().replace(", ", " ,  "))
    assert ev.exact and ev.matches == []
    assert decide(ev, side("a", text), side("b", text), CFG).relation == "exact"
    near = text.replace("Retailers said", "Shop owners warned")
    ev = evidence(text, near)
    assert not ev.exact and ev.jaccard >= CFG.near_threshold
    d = decide(ev, side("a", text), side("b", near), CFG)
    assert d.relation == "near_duplicate" and d.similarity == pytest.approx(ev.jaccard)
    # Unrelated texts share nothing worth keeping.
    assert (
        verify("a", make_signature(text, CFG), "b", make_signature(STORIES["chips"], CFG), CFG)
        is None
    )
