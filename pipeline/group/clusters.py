"""From links to clusters, without chaining unrelated stories through one article.

Plain connected components would let a daily round-up that quotes ten stories glue all ten
into one cluster. Wire copy flows one way in time, from a source to the articles that reuse
it, and that is the rule here:

1. Articles are ordered by ``order_key``: published first (undated after dated), then the
   longer text, then the smaller id. This is also the canonical order.
2. Each article picks one **parent**: its strongest usable link to an article before it.
   An article can be the parent of many, but joins through one link only. Clusters are the
   trees of parent links, so the canonical member (the earliest) is the root, and
   ``relation`` is the relation of the link to the parent: how the article joined.
3. A round-up is published after the stories it quotes, so it joins the one it shares most
   with; its links to the others stay on record as evidence (``merged=False``) but merge
   nothing.
4. When time does not say which came first (either side undated, or the same timestamp), the
   direction is a guess, and the guess "the longer text came first" would make a round-up the
   parent of every story it quotes. So such a link is only **usable** when, at both ends, it
   rests on passages that overlap the passages of every stronger undirected link there (or it
   is a duplicate link, which rests on the whole text): links that rest on separate parts of
   one article, quoting unrelated stories, do not all merge through it.

Everything here is a function of the links and the records, so the same articles give the
same clusters whatever order or batches they arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.group.links import Decision

OrderKey = tuple[int, float, int, str]


def order_key(id_: str, published: float | None, length: int) -> OrderKey:
    """Canonical order: earliest published (undated last), then longest text, then id."""
    if published is None:
        return (1, 0.0, -length, id_)
    return (0, published, -length, id_)


@dataclass(frozen=True, slots=True)
class Edge:
    """One valid link seen from one of its ends."""

    other: str
    decision: Decision
    here: frozenset[int] | None  # passages of this article the link rests on; None: all
    there: frozenset[int] | None
    undirected: bool  # time does not order the two articles


def undirected(a_published: float | None, b_published: float | None) -> bool:
    return a_published is None or b_published is None or a_published == b_published


def accepted_undirected(edges: Iterable[Edge]) -> set[str]:
    """The undirected links an article accepts: strongest first, each resting on passages that
    overlap those accepted before it; duplicate links (whole text) always."""
    accepted: set[str] = set()
    covered: set[int] = set()
    first = True
    for edge in sorted(
        (e for e in edges if e.undirected),
        key=lambda e: (-e.decision.strength[0], -e.decision.strength[1], e.other),
    ):
        if edge.here is None:
            accepted.add(edge.other)
            continue
        if first or covered & edge.here:
            accepted.add(edge.other)
            covered |= edge.here
            first = False
    return accepted


def choose_parent(
    id_: str,
    edges: Iterable[Edge],
    keys: Mapping[str, OrderKey],
    accepts: Mapping[str, set[str]],
) -> Edge | None:
    """The strongest usable link to an earlier article; ties go to the earlier article.

    ``accepts[x]`` is ``accepted_undirected`` of article x; an undirected link is usable when
    both its ends accept it.
    """
    mine = keys[id_]
    best: Edge | None = None
    best_rank: tuple[int, float, OrderKey] | None = None
    for edge in edges:
        if keys[edge.other] >= mine:
            continue
        if edge.undirected and not (
            edge.other in accepts.get(id_, set()) and id_ in accepts.get(edge.other, set())
        ):
            continue
        strength = edge.decision.strength
        # Larger strength wins; among equals the earlier article (smaller key) wins.
        rank = (strength[0], strength[1], _negate(keys[edge.other]))
        if best_rank is None or rank > best_rank:
            best, best_rank = edge, rank
    return best


def _negate(key: OrderKey) -> OrderKey:
    # Keys compare as tuples; to prefer the smaller key under ">" we compare a mirrored tuple.
    return (-key[0], -key[1], -key[2], "".join(chr(0x10FFFF - ord(c)) for c in key[3]))


def roots(parents: Mapping[str, str | None]) -> dict[str, str]:
    """The root of every article, following parent links (which always point earlier)."""
    out: dict[str, str] = {}
    for start in sorted(parents):
        path = []
        node = start
        while node not in out:
            parent = parents.get(node)
            if parent is None:
                out[node] = node
                break
            path.append(node)
            node = parent
        root = out[node]
        for n in path:
            out[n] = root
    return out
