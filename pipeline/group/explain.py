"""Why two articles are, or are not, grouped: the shared passages and the decision, as data."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from pipeline.config import GroupConfig
from pipeline.errors import NewsdedupError
from pipeline.group.batch import make_signature
from pipeline.group.index import DocRecord, Index
from pipeline.group.links import Evidence, PassagePair, Side, decide, verify


@dataclass(slots=True)
class SharedPassage:
    pair: PassagePair
    counted: bool  # counts towards the link (not boilerplate)
    note: str  # "", "heading or list line", "in N other articles", ...


@dataclass(slots=True)
class Explanation:
    a: str
    b: str
    linked: bool
    relation: str | None
    similarity: float
    coverage: float | None
    reason: str
    same_cluster: bool
    cluster_a: str | None
    cluster_b: str | None
    compared: bool  # whether grouping verified this pair and kept its evidence
    passages: list[SharedPassage] = field(default_factory=list)
    # the article each one joins its cluster through (None: it is its cluster's root)
    parent_a: str | None = None
    parent_b: str | None = None

    def render(self, width: int = 100) -> str:
        col = (width - 3) // 2
        lines = [f"{self.a}  vs  {self.b}"]
        if self.linked:
            sim = f"similarity {self.similarity:.2f}"
            cov = (
                f", covers {self.coverage:.0%} of the shorter" if self.coverage is not None else ""
            )
            lines.append(f"linked: {self.relation} ({sim}{cov}): {self.reason}")
        else:
            lines.append(f"not linked: {self.reason}")
        if self.same_cluster:
            lines.append(f"same cluster: yes ({self.cluster_a})")
        else:
            lines.append(f"same cluster: no ({self.cluster_a} / {self.cluster_b})")
            if self.linked:
                lines.append(
                    "(a link merges only through a parent, the one link each article joins its "
                    f"cluster by: {self.a} joins by {_parent(self.parent_a)}, {self.b} by "
                    f"{_parent(self.parent_b)}; see Round-ups in the README)"
                )
        if not self.compared:
            lines.append(
                "(grouping never compared these two: they did not share two LSH bands, or "
                "only on passages too common to count, or their sketches ruled them out)"
            )
        for n, sp in enumerate(self.passages, 1):
            p = sp.pair
            flag = "" if sp.counted else "  [not counted]"
            note = f"  {sp.note}" if sp.note else ""
            lines.append("")
            lines.append(
                f"#{n}  similarity {p.similarity:.2f}  "
                f"[{p.a_start}, {p.a_end}) | [{p.b_start}, {p.b_end}){flag}{note}"
            )
            left = textwrap.wrap(p.a_text, col) or [""]
            right = textwrap.wrap(p.b_text, col) or [""]
            for i in range(max(len(left), len(right))):
                lt = left[i] if i < len(left) else ""
                rt = right[i] if i < len(right) else ""
                lines.append(f"{lt:<{col}} | {rt}".rstrip())
        return "\n".join(lines)


def explain(index: Index, id_a: str, id_b: str, cfg: GroupConfig) -> Explanation:
    """Compare any two articles in the state, grouped or not, and say what grouping decides."""
    records = index.get_records([id_a, id_b])
    for i in (id_a, id_b):
        if i not in records:
            raise NewsdedupError(f"no article with id {i} in the state")
    if id_a == id_b:
        raise NewsdedupError(f"give two different ids: both are {id_a}")
    a, b = sorted((id_a, id_b))
    ra, rb = records[a], records[b]
    stored = {(e.a, e.b): e for e in index.evidence_of([a])}
    ev: Evidence | None = stored.get((a, b))
    compared = ev is not None
    if ev is None:
        ev = verify(a, make_signature(ra.text, cfg), b, make_signature(rb.text, cfg), cfg)
    same = ra.cluster_id is not None and ra.cluster_id == rb.cluster_id
    if ev is None:
        return Explanation(
            a,
            b,
            False,
            None,
            0.0,
            None,
            "no shared passage",
            same,
            ra.cluster_id,
            rb.cluster_id,
            compared,
            parent_a=ra.parent,
            parent_b=rb.parent,
        )
    decision = decide(ev, _side(ra), _side(rb), cfg)
    counted = set(decision.counted)
    passages = []
    for m in ev.matches:
        notes = []
        if m.heading:
            notes.append("heading or list line")
        common = [
            f"{name} passage in more than {cfg.max_passage_df} other articles"
            for name, df, idx in (("left", ra.df, m.i), ("right", rb.df, m.j))
            if int(df[idx]) > cfg.max_passage_df
        ]
        notes.extend(common)
        if common and m in counted:
            notes.append("rare on the other side, so it counts")
        pair = PassagePair(
            ra.text[m.a_start : m.a_end],
            m.a_start,
            m.a_end,
            rb.text[m.b_start : m.b_end],
            m.b_start,
            m.b_end,
            m.similarity,
        )
        passages.append(SharedPassage(pair, m in counted, "; ".join(notes)))
    return Explanation(
        a,
        b,
        decision.linked,
        decision.relation,
        decision.similarity,
        decision.coverage,
        decision.reason,
        same,
        ra.cluster_id,
        rb.cluster_id,
        compared,
        passages,
        parent_a=ra.parent,
        parent_b=rb.parent,
    )


def _parent(parent: str | None) -> str:
    return parent if parent else "none (it is its cluster's root)"


def _side(rec: DocRecord) -> Side:
    return Side(rec.id, rec.published, rec.length, rec.site, rec.df)
