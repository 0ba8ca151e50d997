"""The quality bench's own metrics, checked by hand on tiny cases (the bench is not a test)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "grouping_quality.py"


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grouping_quality", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_adjusted_rand_index_by_hand() -> None:
    gq = bench()
    # true {0,1}{2,3}, predicted {0,1}{2}{3}: index = 1, sum_a = 2, sum_b = 1, C(4,2) = 6,
    # expected = 2 * 1 / 6 = 1/3, max = 3/2, ARI = (1 - 1/3) / (3/2 - 1/3) = 4/7.
    assert gq.adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)
    assert gq.adjusted_rand_index(["a", "a", "b"], [7, 7, 9]) == pytest.approx(1.0)
    # All apart vs all together: no agreement beyond chance.
    assert gq.adjusted_rand_index([0, 1, 2, 3], [0, 0, 0, 0]) == pytest.approx(0.0)
    assert gq.pairwise_prf([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx((1.0, 0.5, 2 / 3))


def test_score_kinds_cites_and_singletons() -> None:
    gq = bench()
    labels = [
        {"id": "o", "story": "s", "kind": "original", "source": None},
        {"id": "c", "story": "s", "kind": "copy", "source": "o"},
        {"id": "r", "story": "s", "kind": "rewrite", "source": "o"},
        {"id": "q", "story": "q", "kind": "cite", "source": "o"},
        {"id": "x", "story": "x", "kind": "singleton", "source": None},
        {"id": "y", "story": "y", "kind": "singleton", "source": None},
    ]
    got = gq.score(labels, {"o": "A", "c": "A", "r": None, "q": "A", "x": "B", "y": "B"})
    assert got["recall copy"] == 1.0 and got["recall rewrite"] == 0.0
    assert got["cite merged"] == 1.0 and got["singletons merged"] == 1.0
    assert got["clusters"] == 3  # A, B and r on its own


def test_republished_copies_are_distinct_texts_of_their_story() -> None:
    gq = bench()
    from pipeline.document import Document

    docs = [
        Document(id="o", source="t", text="A wire report.", published="2024-03-01T06:00:00Z"),
        Document(id="s", source="t", text="Another story.", published=None),
    ]
    labels = [
        {"id": "o", "story": "st", "kind": "original", "source": None},
        {"id": "s", "story": "ss", "kind": "singleton", "source": None},
    ]
    more, more_labels = gq.republished(docs, labels, 3)
    copies = more[2:]
    assert [d.id for d in more[:2]] == ["o", "s"] and len(copies) == 3
    assert len({d.text for d in copies}) == 3 and all(
        d.text.startswith("A wire report.") for d in copies
    )
    assert [d.published for d in copies] == [f"2024-03-01T0{h}:00:00Z" for h in (7, 8, 9)]
    assert len({d.url for d in copies}) == 3
    assert [(x["story"], x["kind"], x["source"]) for x in more_labels[2:]] == [
        ("st", "copy", "o")
    ] * 3
    # Past 20 outlets, names of two words; each outlet its own site.
    many, _ = gq.republished(docs, labels, 100)
    assert len({d.url.split("/")[2] for d in many[2:]}) == 100
    with pytest.raises(SystemExit):
        gq.republished(docs, labels, len(gq.OUTLET_NAMES) + 1)
