"""Verifying a candidate pair of articles and deciding whether, and how, they are linked.

Verification is exact: it compares the two articles' shingle sets, whole and passage by
passage, and keeps what it finds as ``Evidence``. Evidence depends on the two texts alone, so it
is computed once and stored. The decision (``decide``) also depends on how common each shared
passage is across the whole state, which grows as articles arrive, so it is re-made from the
stored evidence whenever that changes.

Relations, strongest first:

- ``exact``: the normalised texts are equal.
- ``near_duplicate``: whole-text char-5-gram Jaccard >= ``near_threshold`` (computed exactly
  whenever the MinHash estimate comes within 0.15 of the threshold).
- ``wire_overlap``: the articles share passages. A passage pair counts when its char-5-gram
  Jaccard is >= ``passage_match`` (below ``passage_best``, its two sides must not state only
  different numbers: that is a template, not a source), and it is rare on one side at least:
  that side occurs in at most ``max_passage_df`` other articles, its own copies on other
  sites excepted (``batch`` counts them; ``passage_counts``). Pairs are matched one to one,
  best first. The link needs at least ``min_shared_passages`` counted pairs between sentences
  in running text, or ``min_shared_with_headings`` counted pairs of any kind (headings and
  list lines are formulaic and shared by chance more often), and one pair >= ``passage_best``.
  A quote of one sentence therefore never links. Two articles of one site must also cover
  ``same_site_coverage`` of the shorter one, and ``window_days`` bounds their distance in time.

Similarity of a wire_overlap link: the mean Jaccard of its counted passage pairs; its coverage:
the share of the shorter article's characters inside those passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from pipeline.config import GroupConfig
from pipeline.group.signatures import I64, Signature

EXACT = "exact"
NEAR_DUPLICATE = "near_duplicate"
WIRE_OVERLAP = "wire_overlap"
RELATION_RANK = {EXACT: 3, NEAR_DUPLICATE: 2, WIRE_OVERLAP: 1}


def passage_counts(
    df_a: npt.NDArray[np.integer], df_b: npt.NDArray[np.integer], limit: int
) -> npt.NDArray[np.bool_]:
    """Which passage pairs with these frequencies (one pair per element) count as evidence:
    those the passage is rare on at least one side.

    Each side's frequency counts the other articles holding the passage, that article's own
    near copies on other sites excepted. Eight sites republishing a wire report, each with a
    credit line of its own, make its sentences common on a rewrite's side, where they meet
    eight articles, and leave them rare on each copy's side, where the other seven are its
    copies: the copies are one story, and the rewrite links to them. A line of furniture
    shared by more than ``limit`` unrelated articles is common on every side. The price: stock
    lines (a company's "About" paragraph) stay rare on the side of a story with many copies
    until more than ``limit`` other stories carry them, and link those stories meanwhile.
    """
    rare: npt.NDArray[np.bool_] = np.minimum(df_a, df_b) <= limit
    return rare


@dataclass(slots=True)
class PassagePair:
    """One shared passage: both sides' text and ``[start, end)`` offsets into each ``text``."""

    a_text: str
    a_start: int
    a_end: int
    b_text: str
    b_start: int
    b_end: int
    similarity: float


@dataclass(slots=True)
class Link:
    """Why two articles belong together. ``merged``: whether they ended up in one cluster."""

    a: str
    b: str
    relation: str
    similarity: float
    passages: list[PassagePair] = field(default_factory=list)
    coverage: float | None = None
    merged: bool = True


class Match(NamedTuple):
    """A verified passage pair: passage ``i`` of article a, ``j`` of b, by index and offsets.

    (A named tuple: thousands are decoded per batch, and tuples are built fastest.)
    """

    i: int
    j: int
    similarity: float
    heading: bool  # either side is a heading or list line
    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(slots=True)
class Evidence:
    """What verification found between articles ``a < b``; stored, re-decided as the state grows."""

    a: str
    b: str
    exact: bool
    jaccard: float  # whole text
    matches: list[Match]

    @property
    def duplicate(self) -> bool:
        """Exact or near duplicates (verified without passages): one text twice, which says
        nothing about how common its passages are."""
        return not self.matches


@dataclass(frozen=True, slots=True)
class Side:
    """What the decision needs to know about one article besides the evidence."""

    id: str
    published: float | None  # POSIX seconds
    length: int
    site: str | None
    df: npt.NDArray[np.uint16]


@dataclass(frozen=True, slots=True)
class Decision:
    relation: str | None
    similarity: float
    counted: tuple[Match, ...]
    coverage: float | None
    reason: str

    @property
    def linked(self) -> bool:
        return self.relation is not None

    @property
    def strength(self) -> tuple[int, float]:
        """Orders links: relation first, then the amount of shared text (sum of similarities)."""
        if self.relation is None:
            return (0, 0.0)
        if self.relation == WIRE_OVERLAP:
            return (RELATION_RANK[self.relation], sum(m.similarity for m in self.counted))
        return (RELATION_RANK[self.relation], self.similarity)


def _common(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> tuple[I64, I64]:
    """For two sorted arrays of distinct values, the positions of their common values in
    each, in value order."""
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="stable")  # two sorted runs: a linear merge, a's first
    merged = both[order]
    eq = np.flatnonzero(merged[1:] == merged[:-1])
    return order[eq], order[eq + 1] - a.size


def passage_similarities(
    a: Signature, b: Signature, common: tuple[I64, I64] | None = None
) -> npt.NDArray[np.float64]:
    """Exact char-5-gram Jaccard of every passage of ``a`` against every passage of ``b``.

    Keeps, on each side, the (shingle, passage) pairs whose shingle both articles have, and
    counts each pair of passages holding a common shingle.
    """
    na, nb = len(a.spans), len(b.spans)
    if not na or not nb:
        return np.zeros((na, nb))
    if common is None:
        common = _common(a.passage_shingles, b.passage_shingles)
    n_common = common[0].size
    if not n_common:
        return np.zeros((na, nb))
    sides = []
    for sig, where in ((a, common[0]), (b, common[1])):
        owner, position = sig.by_hash()
        index = np.full(sig.passage_shingles.size, -1, dtype=np.int64)
        index[where] = np.arange(n_common)
        key = index[position]
        hit = key >= 0
        sides.append((key[hit], owner[hit].astype(np.int64)))  # sorted by common shingle
    (ka, oa), (kb, ob) = sides
    n_b = np.bincount(kb, minlength=n_common)
    start_b = np.cumsum(n_b) - n_b
    k = n_b[ka]
    sel = np.flatnonzero(k)
    k = k[sel]
    offset = np.arange(int(k.sum()), dtype=np.int64) - np.repeat(np.cumsum(k) - k, k)
    left = np.repeat(oa[sel], k)
    right = ob[np.repeat(start_b[ka[sel]], k) + offset]
    inter = np.bincount(left * nb + right, minlength=na * nb).reshape(na, nb).astype(np.float64)
    union = a.sizes[:, None] + b.sizes[None, :] - inter
    return inter / union


def verify(a_id: str, a: Signature, b_id: str, b: Signature, cfg: GroupConfig) -> Evidence | None:
    """Compare two articles exactly; None when they share nothing worth keeping."""
    if b_id < a_id:
        a_id, a, b_id, b = b_id, b, a_id, a
    exact = a.text_hash == b.text_hash
    if exact:
        return Evidence(a_id, b_id, True, 1.0, [])
    # The whole-text Jaccard, exactly: merging two sorted shingle sets costs less than the
    # MinHash an earlier article read back from the state would need for an estimate.
    both = _common(a.doc_shingles, b.doc_shingles)[0].size
    union = a.doc_shingles.size + b.doc_shingles.size - both
    jaccard = both / union if union else 0.0
    if jaccard >= cfg.near_threshold:
        return Evidence(a_id, b_id, False, jaccard, [])
    sims = passage_similarities(a, b)
    rows, cols = np.nonzero(sims >= cfg.passage_match)
    if not rows.size:
        return None
    order = sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda t: (-sims[t], t))
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches: list[Match] = []
    for i, j in order:
        if i in used_a or j in used_b:
            continue
        if sims[i, j] < cfg.passage_best:
            na, nb = a.numbers(i), b.numbers(j)
            if na and nb and not na & nb:
                continue  # loosely similar wording about different figures: a template
        used_a.add(i)
        used_b.add(j)
        matches.append(
            Match(
                i,
                j,
                round(float(sims[i, j]), 6),
                a.heading(i) or b.heading(j),
                *a.spans[i],
                *b.spans[j],
            )
        )
    if not matches:
        return None
    return Evidence(a_id, b_id, False, jaccard, matches)


def _site_pair(a: Side, b: Side) -> bool:
    return a.site is not None and a.site == b.site


def decide(ev: Evidence, a: Side, b: Side, cfg: GroupConfig) -> Decision:
    """The link between two articles given their evidence and the state's passage frequencies."""
    if ev.exact:
        return Decision(EXACT, 1.0, (), None, "identical normalised text")
    if ev.jaccard >= cfg.near_threshold:
        return Decision(
            NEAR_DUPLICATE,
            ev.jaccard,
            (),
            None,
            f"whole-text Jaccard {ev.jaccard:.2f} >= {cfg.near_threshold:.2f}",
        )
    rare = passage_counts(
        a.df[[m.i for m in ev.matches]], b.df[[m.j for m in ev.matches]], cfg.max_passage_df
    )
    counted = tuple(m for m, ok in zip(ev.matches, rare.tolist(), strict=True) if ok)
    common = len(ev.matches) - len(counted)
    note = f" ({common} more too common to count)" if common else ""
    if not counted:
        return Decision(None, 0.0, (), None, f"no shared passage{note}")
    sentences = sum(1 for m in counted if not m.heading)
    enough = sentences >= cfg.min_shared_passages or len(counted) >= cfg.min_shared_with_headings
    similarity = sum(m.similarity for m in counted) / len(counted)
    coverage = _coverage(counted, a, b)
    n = len(counted)
    shared = f"{n} shared passage{'s' if n != 1 else ''}"
    if not enough:
        if n >= cfg.min_shared_passages:
            why = (
                f"{shared}, {n - sentences} of them headings or list lines: need "
                f"{cfg.min_shared_passages} sentences or {cfg.min_shared_with_headings} in all"
            )
        else:
            why = f"{shared}, need {cfg.min_shared_passages}"
        return Decision(None, similarity, counted, coverage, why + note)
    best = max(m.similarity for m in counted)
    if best < cfg.passage_best:
        why = f"{shared}, but none with similarity >= {cfg.passage_best:.2f} (best {best:.2f})"
        return Decision(None, similarity, counted, coverage, why + note)
    if _site_pair(a, b) and coverage < cfg.same_site_coverage:
        why = (
            f"{shared} between two articles of {a.site}, covering {coverage:.0%} of the "
            f"shorter: need {cfg.same_site_coverage:.0%} (else they are site furniture)"
        )
        return Decision(None, similarity, counted, coverage, why + note)
    if cfg.window_days is not None and a.published is not None and b.published is not None:
        days = abs(a.published - b.published) / 86400.0
        if days > cfg.window_days:
            why = f"{shared}, but published {days:.1f} days apart (window {cfg.window_days:g})"
            return Decision(None, similarity, counted, coverage, why + note)
    return Decision(WIRE_OVERLAP, similarity, counted, coverage, shared + note)


def _coverage(counted: tuple[Match, ...], a: Side, b: Side) -> float:
    if a.length <= b.length:
        covered, length = sum(m.a_end - m.a_start for m in counted), a.length
    else:
        covered, length = sum(m.b_end - m.b_start for m in counted), b.length
    return min(1.0, covered / length) if length else 0.0


def region(ev: Evidence, decision: Decision, side: str) -> frozenset[int] | None:
    """The passages of one side that a link rests on; None means the whole article."""
    if decision.relation in (EXACT, NEAR_DUPLICATE):
        return None
    if side == ev.a:
        return frozenset(m.i for m in decision.counted)
    return frozenset(m.j for m in decision.counted)
