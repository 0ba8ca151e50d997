"""Re-clustering the neighbourhood a batch touched, and the clusters it reports.

A new article can change the clusters around it in three ways: it links to articles (their
parent choice may now fall on it, if it was published earlier), its shared passages raise
the frequency of passages it shares (links resting on them may stop counting), and it may be
the round-up whose undirected links are now weighed against others. So the parents of the
new articles, of everything they share a passage with, of what those are linked to, and of
the other end of every link resting on a passage that just became too common (with that end's
undated partners) are chosen again (``clusters.choose_parent``); everything else keeps its
stored parent. Clusters are then rebuilt from parents for every cluster these articles were or
are now in. The result is the same as grouping all articles at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.group.clusters import (
    Edge,
    accepted_undirected,
    choose_parent,
    order_key,
    roots,
    undirected,
)
from pipeline.group.index import DocRecord
from pipeline.group.links import Decision, Evidence, Link, PassagePair, Side, decide, region

if TYPE_CHECKING:
    from pipeline.group.batch import _Batch


@dataclass(slots=True)
class Cluster:
    """A group of articles from one source. ``cluster_id`` is the canonical member's id."""

    cluster_id: str
    canonical: str
    members: list[str]
    links: list[Link]
    # every member but the canonical: the member it joined through, and how
    joined: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class GroupResult:
    """``clusters``: the clusters this batch created or changed, by cluster_id (an earlier
    article whose cluster changed is in its new cluster's entry; one left alone by the change
    is a cluster of one).
    ``relations``: new articles by how they joined."""

    clusters: list[Cluster]
    relations: Counter[str] = field(default_factory=Counter)


def _side(rec: DocRecord) -> Side:
    return Side(rec.id, rec.published, rec.length, rec.site, rec.df)


class _Graph:
    """Links (decisions) around a set of articles, loaded from the index on demand."""

    def __init__(self, batch: _Batch) -> None:
        self.batch = batch
        self.edges: dict[str, list[Edge]] = {}
        self.evidence: dict[tuple[str, str], tuple[Evidence, Decision]] = {}

    def expand(self, ids: Iterable[str]) -> None:
        """Load every link of ``ids`` (and decide it) unless already loaded."""
        # (Not "set(ids) - self.edges.keys()": that copies every key, on every call.)
        todo = sorted({i for i in ids if i not in self.edges})
        if not todo:
            return
        found = self.batch.index.evidence_of(todo)
        self.batch.load({e.a for e in found} | {e.b for e in found} | set(todo))
        wanted = set(todo)
        for i in todo:
            self.edges[i] = []
        records = self.batch.records
        for ev in found:
            key = (ev.a, ev.b)
            known = self.evidence.get(key)
            if known is None:
                ra, rb = records[ev.a], records[ev.b]
                known = (ev, decide(ev, _side(ra), _side(rb), self.batch.cfg))
                self.evidence[key] = known
            ev, d = known
            if not d.linked:
                continue
            u = undirected(records[ev.a].published, records[ev.b].published)
            ea, eb = region(ev, d, ev.a), region(ev, d, ev.b)
            if ev.a in wanted:
                self.edges[ev.a].append(Edge(ev.b, d, ea, eb, u))
            if ev.b in wanted:
                self.edges[ev.b].append(Edge(ev.a, d, eb, ea, u))

    def neighbours(self, id_: str, linked_only: bool) -> set[str]:
        self.expand([id_])
        if linked_only:
            return {e.other for e in self.edges[id_]}
        return {b if a == id_ else a for (a, b) in self.evidence if id_ in (a, b)}


def regroup(batch: _Batch, evidence: list[Evidence], crossed: dict[str, set[int]]) -> GroupResult:
    """Choose parents again around the batch, rebuild the clusters, set the new articles'
    fields, and report what changed."""
    index = batch.index
    graph = _Graph(batch)
    new = set(batch.docs)
    # Frequencies changed for every article in new evidence or with crossed passages: links may
    # have changed, and with them the parent choice of what they link to.
    touched = new | crossed.keys() | {e.a for e in evidence} | {e.b for e in evidence}
    graph.expand(touched)
    dirty = set(touched)
    for i in sorted(touched):
        dirty |= graph.neighbours(i, linked_only=True)
    # A passage that crossed the limit can end a link that rested on it being rare on that
    # side only: the other end chooses again, however common the passage is on its side, and
    # so do its undated partners, whose links it may now accept (a link never starts counting
    # as frequencies grow).
    ends = set()
    for (a, b), (ev, _) in graph.evidence.items():
        if a in crossed and any(m.i in crossed[a] for m in ev.matches):
            ends.add(b)
        if b in crossed and any(m.j in crossed[b] for m in ev.matches):
            ends.add(a)
    graph.expand(ends)
    dirty |= ends | {e.other for i in ends for e in graph.edges[i] if e.undirected}
    graph.expand(dirty)
    # An undirected link is usable when both ends accept it, so their other links matter too.
    far = {e.other for i in dirty for e in graph.edges[i] if e.undirected}
    graph.expand(far)
    batch.load(dirty | far)
    keys = {i: order_key(i, r.published, r.length) for i, r in batch.records.items()}
    accepts = {i: accepted_undirected(graph.edges[i]) for i in dirty | far}
    chosen: dict[str, Edge | None] = {
        i: choose_parent(i, graph.edges[i], keys, accepts) for i in dirty
    }
    # Everything in the clusters these articles were and will be in gets reassigned.
    old_clusters = {batch.records[i].cluster_id or i for i in dirty}
    old_clusters |= {batch.records[e.other].cluster_id or e.other for e in chosen.values() if e}
    members = index.members(sorted(old_clusters))
    scope = set(dirty) | {m for ms in members.values() for m in ms}
    batch.load(scope)
    parents: dict[str, str | None] = {}
    relations: dict[str, str | None] = {}
    for i in scope:
        if i in chosen:
            edge = chosen[i]
            parents[i] = edge.other if edge else None
            relations[i] = edge.decision.relation if edge else None
        else:
            parents[i] = batch.records[i].parent
            relations[i] = batch.records[i].relation
    root_of = roots(parents)
    before = {i: batch.records[i].cluster_id or i for i in scope}
    assignments = {
        i: (root_of[i], parents[i], relations[i])
        for i in scope
        if i in new
        or (root_of[i], parents[i], relations[i])
        != (batch.records[i].cluster_id, batch.records[i].parent, batch.records[i].relation)
    }
    index.set_assignments(assignments)
    groups: dict[str, list[str]] = defaultdict(list)
    for i in scope:
        groups[root_of[i]].append(i)
    old_groups: dict[str, set[str]] = defaultdict(set)
    for i, c in before.items():
        old_groups[c].add(i)
    # A cluster is reported when it gained, lost or was re-rooted; an article that was in a
    # cluster and is now alone is reported as a cluster of one, so that the newest line that
    # lists an article always says where it is.
    changed = sorted(
        root
        for root, ms in groups.items()
        if (set(ms) & new or set(ms) != old_groups.get(root, set()))
        and (len(ms) > 1 or len(old_groups[before[root]]) > 1)
    )
    reported = set(changed)
    joined = {
        i: (parent, relations[i] or "")
        for i in scope
        if (parent := parents[i]) is not None and root_of[i] in reported
    }
    clusters = [
        _make_cluster(batch, graph, root, sorted(groups[root]), root_of, joined) for root in changed
    ]
    result = GroupResult(clusters)
    for i in sorted(new):
        doc = batch.docs[i]
        root = root_of[i]
        doc.cluster_id = root
        doc.relation = relations[i]
        doc.duplicate_of = root if root != i else None
        if relations[i] is not None:
            result.relations[relations[i] or ""] += 1
        elif len(groups[root]) > 1:
            result.relations["canonical"] += 1
        else:
            result.relations["singleton"] += 1
    return result


def _make_cluster(
    batch: _Batch,
    graph: _Graph,
    root: str,
    members: list[str],
    root_of: dict[str, str],
    joined: dict[str, tuple[str, str]],
) -> Cluster:
    graph.expand(members)
    tree = {tuple(sorted((m, joined[m][0]))) for m in members if m in joined}
    pairs = sorted(
        {(m, e.other) if m < e.other else (e.other, m) for m in members for e in graph.edges[m]}
    )
    # Copies of one text link every pair (200 copies: 19,900 links): within the cluster a
    # duplicate link is listed only where a member joined through it.
    pairs = [
        (a, b)
        for a, b in pairs
        if graph.evidence[(a, b)][1].relation == "wire_overlap"
        or (a, b) in tree
        or not (root_of.get(a) == root_of.get(b) == root)
    ]
    batch.load({x for p in pairs for x in p} | set(members), text=True)
    links = []
    for a, b in pairs:
        ev, d = graph.evidence[(a, b)]
        ta, tb = batch.records[a].text, batch.records[b].text
        passages = [
            PassagePair(
                ta[m.a_start : m.a_end],
                m.a_start,
                m.a_end,
                tb[m.b_start : m.b_end],
                m.b_start,
                m.b_end,
                m.similarity,
            )
            for m in d.counted
        ]
        assert d.relation is not None
        merged = root_of.get(a) == root_of.get(b) == root
        links.append(Link(a, b, d.relation, d.similarity, passages, d.coverage, merged))
    return Cluster(root, root, members, links, {m: joined[m] for m in members if m in joined})
