"""Parent choice, the undirected-link guard and roots, on hand-made links."""

from __future__ import annotations

from pipeline.group.clusters import (
    Edge,
    accepted_undirected,
    choose_parent,
    order_key,
    roots,
    undirected,
)
from pipeline.group.links import Decision


def wire(strength: float) -> Decision:
    return Decision("wire_overlap", strength / 2, (), 0.1, "")


def dup() -> Decision:
    return Decision("near_duplicate", 0.9, (), None, "")


def edge(other: str, d: Decision, here: set[int] | None, u: bool = False) -> Edge:
    return Edge(other, d, frozenset(here) if here is not None else None, None, u)


def test_order_is_published_then_longest_then_id_with_undated_last() -> None:
    keys = sorted(
        [
            order_key("z", 100.0, 10),
            order_key("y", 100.0, 50),
            order_key("x", None, 999),
            order_key("w", 50.0, 1),
            order_key("v", 100.0, 50),
        ]
    )
    assert [k[3] for k in keys] == ["w", "v", "y", "z", "x"]


def test_parent_is_the_strongest_link_to_an_earlier_article() -> None:
    keys = {i: order_key(i, t, 100) for i, t in [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]}
    edges = [edge("a", wire(1.0), {1}), edge("b", dup(), None), edge("d", dup(), None)]
    chosen = choose_parent("c", edges, keys, {})
    assert chosen is not None and chosen.other == "b"  # d is later: never a parent of c
    assert choose_parent("a", [edge("b", dup(), None)], keys, {}) is None
    # Equal strength: the earlier article wins.
    tie = [edge("b", wire(1.0), {1}), edge("a", wire(1.0), {2})]
    assert choose_parent("c", tie, keys, {}).other == "a"  # type: ignore[union-attr]


def test_undirected_links_resting_on_separate_passages_are_not_all_accepted() -> None:
    # A round-up (undated) quoting three stories in three separate places.
    edges = [
        edge("s1", wire(1.5), {0, 1}, u=True),
        edge("s2", wire(1.2), {2, 3}, u=True),
        edge("s3", wire(1.0), {4, 5}, u=True),
        edge("copy", dup(), None, u=True),
    ]
    assert accepted_undirected(edges) == {"s1", "copy"}
    # Links resting on overlapping passages are one story: all accepted.
    same = [edge("t1", wire(1.5), {0, 1}, u=True), edge("t2", wire(1.0), {1, 2}, u=True)]
    assert accepted_undirected(same) == {"t1", "t2"}
    # Dated (directed) links are not the guard's business.
    assert accepted_undirected([edge("s1", wire(1.0), {0}), edge("s2", wire(1.0), {5})]) == set()


def test_an_undirected_link_must_be_accepted_at_both_ends() -> None:
    keys = {"r": order_key("r", None, 900), "s1": order_key("s1", None, 300)}
    link = edge("r", wire(1.0), {0}, u=True)
    assert choose_parent("s1", [link], keys, {"s1": {"r"}, "r": {"s1"}}) is not None
    assert choose_parent("s1", [link], keys, {"s1": {"r"}, "r": set()}) is None
    assert undirected(None, 5.0) and undirected(5.0, 5.0) and not undirected(4.0, 5.0)


def test_roots_follow_parents() -> None:
    parents = {"a": None, "b": "a", "c": "b", "d": None, "e": "d", "f": "missing"}
    found = roots(parents)
    assert {k: found[k] for k in parents} == {
        "a": "a",
        "b": "a",
        "c": "a",
        "d": "d",
        "e": "d",
        "f": "missing",
    }
