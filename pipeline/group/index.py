"""The grouping state behind one small port (``Index``), and ``open_index`` to get an adapter.

The port is what grouping needs and nothing more: LSH (insert signatures, then query them),
article records, verified evidence between pairs, and cluster assignments. Every method works
on a batch, and a run's cost depends on its batch and the neighbourhood it touches, never on
the size of the history: nothing loads the whole state.

LSH is shaped like datasketch's ``MinHashLSH`` ("insert key with its MinHash; query MinHash ->
keys"): a Redis adapter can keep it in two ``MinHashLSH(storage_config={"type": "redis",
"basename": ...}, prepickle=False)`` indexes, one for passages (keys ``b"<id>:<i>"``) and one
for whole articles, each basename naming num_perm, the band layout and the scheme
(``fingerprint``). Callers insert a batch before querying with it, so two similar articles
arriving at the same moment in two processes still find each other: whichever queries last
sees the other.

A passage bucket holding ``hot_bucket`` passages (articles: an article holds a sentence once)
or more is full: it takes no more, and yields what a bucket of ``hot_bucket`` would, the
``hot_bucket`` articles first in the canonical order among the batch's and among the others
(``earliest_of_each``; more than that only when one batch filled it). A line of furniture is
then common on every side, as in any bucket that holds more than ``max_passage_df + 1``
articles, while a sentence of a story copied more than ``hot_bucket`` times still meets the
story: on the copies' side it stays rare, as their own copies do not count.

The embedded adapter (``pipeline.group.sqlite_index``) is the default.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from pipeline.config import GroupConfig, is_remote_state
from pipeline.errors import NewsdedupError
from pipeline.group.links import Evidence

_K = TypeVar("_K")

# 5: passage frequencies leave out only an article's near copies on other sites, and count
# one text once per site (4 left out every near copy and counted one text once).
# 6: a full passage bucket yields its earliest articles instead of marking its passages
# boilerplate; an article enters a bucket once; a passage repeated word for word is one.
SCHEMA_VERSION = 6
# Bits kept of each signature value in a sketch. One pair of passages is estimated about as
# well with 4 as with 8, but a candidate pair of articles compares some 25 x 25 passage pairs:
# on 3,000 unrelated wire-dev pairs, 4-bit sketches found two passages "close" (the gate to
# exact verification) on 13% of them, 8-bit on 0.7%, full signatures on 0.6%.
SKETCH_BITS = 8

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]


# One text on one site: (text hash, sketch bytes, site or None).
TextOnSite = tuple[bytes, bytes, str | None]


@dataclass(slots=True)
class DocRecord:
    """One article as the state keeps it. ``sketch`` holds the low ``SKETCH_BITS`` bits of each
    signature value (the document's, then each passage's), one per byte: enough to estimate
    similarity before fetching the text. ``df``: per passage, how many other articles share
    it (the article's near copies on other sites excepted), counted up to
    ``max_passage_df + 1`` (more is all the same: too common)."""

    id: str
    published: float | None  # POSIX seconds
    length: int  # characters, less those of passages the text repeats (Signature.length)
    site: str | None
    text_hash: bytes
    text: str = field(repr=False)
    df: U16 = field(repr=False)
    sketch: U8 = field(repr=False)  # (1 + passages) x num_perm
    cluster_id: str | None = None
    parent: str | None = None
    relation: str | None = None


@dataclass(slots=True)
class LshEntry:
    """An article's signatures as LSH sees them."""

    id: str
    passages: U32  # passages x num_perm
    document: U32  # num_perm
    text_hash: bytes


def earliest_of_each(
    members: Iterable[_K], key: Mapping[_K, Any], ours: Container[_K], most: int
) -> list[_K]:
    """What a crowded whole-article bucket yields: the ``most`` of ``members`` first by
    ``key`` (the canonical order) among this batch's (``ours``), then the ``most`` first among
    the others. Both adapters choose so (the embedded one in a vectorised form of this), so
    they yield the same articles."""
    batch = [m for m in members if m in ours]
    rest = [m for m in members if m not in ours]
    return [
        *heapq.nsmallest(most, batch, key=key.__getitem__),
        *heapq.nsmallest(most, rest, key=key.__getitem__),
    ]


def unique_sorted(values: npt.NDArray[Any]) -> I64:
    """The distinct values, sorted: ``np.unique`` by sorting. numpy 2's ``np.unique`` builds a
    hash table instead, several times slower on the large integer arrays grouping makes (4
    million values: 1.26 s against 0.24 s)."""
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    out: I64 = ordered[keep]
    return out


def contains(ordered: I64, values: I64) -> npt.NDArray[np.bool_]:
    """Which ``values`` are in ``ordered`` (sorted, distinct): ``np.isin`` by binary search."""
    if not ordered.size:
        return np.zeros(values.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(ordered, values), ordered.size - 1)
    found: npt.NDArray[np.bool_] = ordered[pos] == values
    return found


def distinct_rows(matrix: npt.NDArray[Any]) -> tuple[I64, I64]:
    """The distinct rows of an integer matrix: the index of each one's first occurrence, and
    for every row the number of its distinct row (numbered in order of first occurrence's
    fingerprint). Rows are told apart by a 64-bit fingerprint, checked against the rows
    themselves: should two differ under one fingerprint, an exact comparison decides."""
    if not matrix.shape[0]:
        return _empty(), _empty()
    weights = np.uint64(0x9E3779B97F4A7C15) ** np.arange(1, matrix.shape[1] + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        fingerprint = (matrix.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(fingerprint, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    if (matrix != matrix[first][inverse]).any():
        _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
    return first.astype(np.int64), inverse


def fan_out(row_group: I64, member_group: I64) -> tuple[I64, I64]:
    """Every (row, member) pair whose row and member name the same group: rows found for a
    distinct passage handed to each batch passage that is that passage.

    ``row_group``: a group number per row; ``member_group``: a group number per member.
    Returns the row numbers and member numbers, grouped by row."""
    fan = _Fan(row_group, member_group)
    return fan.part(0, row_group.size)


# Pairs ``Collisions.pairs`` makes at once: bounds its temporary arrays (8 MiB a column).
PAIRS_AT_ONCE = 1 << 20


class _Fan:
    """``fan_out`` a slice of the rows at a time: the members of each group, found once."""

    def __init__(self, row_group: I64, member_group: I64) -> None:
        groups = int(max(row_group.max(initial=-1), member_group.max(initial=-1))) + 1
        self.row_group = row_group
        self.by_group = np.argsort(member_group, kind="stable")
        self.size = np.bincount(member_group, minlength=groups)
        self.start = np.cumsum(self.size) - self.size
        # Where the pairs of each row end, counted over all rows.
        self.ends = np.cumsum(self.size[row_group])

    def part(self, lo: int, hi: int) -> tuple[I64, I64]:
        """The pairs of rows ``lo`` to ``hi``."""
        reps = self.size[self.row_group[lo:hi]]
        row = np.repeat(np.arange(lo, hi, dtype=np.int64), reps)
        starts = np.repeat(np.cumsum(reps) - reps, reps)
        offset = np.arange(int(reps.sum()), dtype=np.int64) - starts
        member: I64 = self.by_group[self.start[self.row_group[row]] + offset]
        return row, member

    def slices(self, most: int) -> Iterator[tuple[int, int]]:
        """Row slices making about ``most`` pairs each (at least one row)."""
        lo = 0
        while lo < self.row_group.size:
            done = int(self.ends[lo - 1]) if lo else 0
            hi = max(lo + 1, int(np.searchsorted(self.ends, done + most, side="right")))
            yield lo, hi
            lo = hi


def _empty() -> I64:
    return np.zeros(0, dtype=np.int64)


def shared_bands(columns: Sequence[I64], least: int) -> npt.NDArray[np.bool_]:
    """Which collision rows name a combination of ``columns`` values (a pair of passages, or of
    articles) that has at least ``least`` rows: collisions come one row per LSH band shared.

    A pair of unrelated texts meets in one band by chance far more often than in two (for
    passages at Jaccard 0.1, 2.1% against 0.02% over 21 bands of 3 rows), while related ones
    share several: asking for two spares the work the chance collisions would cause.
    """
    rows = columns[0].size
    if least <= 1 or rows == 0:
        return np.ones(rows, dtype=bool)
    radix = [int(c.max()) + 1 for c in columns]
    if math.prod(radix) <= np.iinfo(np.int64).max:
        # One number per combination (mixed radix): a single sort, several times faster
        # than sorting on the columns one after another. Collisions come in runs already
        # ordered (by query key), which a stable sort (timsort) makes use of.
        key = np.zeros(rows, dtype=np.int64)
        for c, r in zip(columns, radix, strict=True):
            key = key * np.int64(r) + c
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        start = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    else:
        order = np.lexsort(tuple(reversed(columns)))
        start = np.zeros(rows, dtype=bool)
        start[0] = True
        for c in columns:
            ordered = c[order]
            start[1:] |= ordered[1:] != ordered[:-1]
    group = np.cumsum(start) - 1
    keep = np.empty(rows, dtype=bool)
    keep[order] = np.bincount(group)[group] >= least
    return keep


@dataclass(slots=True)
class Collisions:
    """What a batch's query found, as parallel arrays of positions into ``ids`` (the batch's
    articles first, in the order of its entries).

    Passages, found once for each distinct batch passage (a line on every page of a site, the
    sentences of a story's copies are each one): row ``k`` says that passage
    ``other_passage[k]`` of ``ids[other[k]]`` shares ``passage_min_bands`` bands or more with
    the batch passages of group ``found[k]`` (``shared_bands``), one row per pair; a full
    bucket yields its earliest articles only. The batch's passages: passage
    ``batch_passage[j]`` of ``ids[batch_article[j]]`` is in group ``batch_group[j]``.
    ``pairs`` hands each row to every passage of its group. ``doc_mine``/``doc_other``: whole
    articles sharing ``doc_min_bands`` bands or more, one row per pair.
    ``exact_mine``/``exact_other``: articles with the same text hash.
    """

    ids: list[str]
    found: I64 = field(default_factory=_empty)
    other: I64 = field(default_factory=_empty)
    other_passage: I64 = field(default_factory=_empty)
    batch_group: I64 = field(default_factory=_empty)
    batch_article: I64 = field(default_factory=_empty)
    batch_passage: I64 = field(default_factory=_empty)
    doc_mine: I64 = field(default_factory=_empty)
    doc_other: I64 = field(default_factory=_empty)
    exact_mine: I64 = field(default_factory=_empty)
    exact_other: I64 = field(default_factory=_empty)

    def pairs(self, most: int = 0) -> Iterator[tuple[I64, I64, I64, I64]]:
        """Every pair of passages found, about ``most`` (``PAIRS_AT_ONCE``) at a time, as
        ``(mine, mine_passage, other, other_passage)``: passage ``mine_passage`` of the batch
        article ``mine`` shares bands with passage ``other_passage`` of ``other``. A passage
        found for its own article is left out. A pair of batch articles may come from either
        side or both. Two articles met through n passages of theirs make n rows: the copies
        of one story make many, which is why they come a part at a time."""
        fan = _Fan(self.found, self.batch_group)
        for lo, hi in fan.slices(most or PAIRS_AT_ONCE):
            row, member = fan.part(lo, hi)
            mine, other = self.batch_article[member], self.other[row]
            keep = mine != other
            yield (
                mine[keep],
                self.batch_passage[member[keep]],
                other[keep],
                self.other_passage[row[keep]],
            )


class Index(Protocol):
    """The port grouping talks to. Writes stay invisible until ``commit``."""

    def close(self) -> None:
        """Release the state; anything not committed is discarded."""

    def commit(self) -> None:
        """Make everything written since the last commit durable, at once."""

    def rollback(self) -> None:
        """Discard everything written since the last commit."""

    def known(self, ids: Iterable[str]) -> set[str]:
        """The subset of ``ids`` already in the state."""

    def first_stored(self, text_hashes: Iterable[bytes]) -> dict[TextOnSite, str]:
        """The smallest id among the articles stored before this batch with each of these
        texts, by ``(text hash, sketch bytes, site)``: one text cut into other passages (other
        line breaks, which the text hash ignores) has another sketch. Texts no stored article
        has are left out."""

    def record_run(self, run_id: str) -> None:
        """Record, with this run's other writes, that run ``run_id`` saved its articles."""

    def recorded_runs(self, run_ids: Iterable[str]) -> set[str]:
        """The subset of ``run_ids`` recorded by a committed run. Reads only: waits for no
        writer."""

    def state_id(self) -> str:
        """A random id this state was given when first asked, the same ever after: a run's
        staged outputs carry it, so that a run with another state leaves them alone."""

    def insert_lsh(self, entries: Sequence[LshEntry]) -> None:
        """Insert articles' passage and document signatures (before querying with them)."""

    def query_lsh(self, entries: Sequence[LshEntry]) -> Collisions:
        """Candidates for the entries of the last ``insert_lsh``, each article itself excluded."""

    def put_records(self, records: Sequence[DocRecord]) -> None:
        """Insert new articles (their df and assignments included)."""

    def get_records(self, ids: Iterable[str], text: bool = True) -> dict[str, DocRecord]:
        """Stored articles by id; ``text=False`` leaves ``text`` empty (cheaper)."""

    def sketches(self, ids: Iterable[str]) -> dict[str, U8]:
        """``DocRecord.sketch`` alone, by id."""

    def set_df(self, df: Mapping[str, U16]) -> None:
        """Replace articles' passage frequencies."""

    def set_assignments(
        self, assignments: Mapping[str, tuple[str, str | None, str | None]]
    ) -> None:
        """``id -> (cluster_id, parent, relation)``."""

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        """Store (or replace) the evidence of pairs."""

    def evidence_of(self, ids: Iterable[str]) -> list[Evidence]:
        """Every stored evidence with at least one side in ``ids``."""

    def members(self, cluster_ids: Iterable[str]) -> dict[str, list[str]]:
        """The ids assigned to each cluster id, sorted."""


def fingerprint(cfg: GroupConfig) -> dict[str, object]:
    """The settings that shape stored signatures, frequencies and evidence: one per state."""
    return {
        "schema": SCHEMA_VERSION,
        "scheme": cfg.scheme,
        "seed": cfg.seed,
        "shingle_chars": cfg.shingle_chars,
        "num_perm": cfg.num_perm,
        "doc_lsh": [cfg.doc_bands, cfg.doc_rows],
        "passage_lsh": [cfg.passage_bands, cfg.passage_rows],
        "passage_min_chars": cfg.passage_min_chars,
        "passage_match": cfg.passage_match,
        "near_threshold": cfg.near_threshold,
        "candidate_estimate": cfg.candidate_estimate,
        "doc_estimate": cfg.doc_estimate,
        "verify_estimate": cfg.verify_estimate,
        "hot_bucket": cfg.hot_bucket,
        "sketch_bits": SKETCH_BITS,
        "max_passage_df": cfg.max_passage_df,  # stored frequencies stop counting above it
    }


def open_index(state: str, cfg: GroupConfig) -> Index:
    """Open (creating it) the state at ``state``: a directory, for the embedded adapter, or a
    ``redis://``, ``rediss://`` or ``unix://`` URL, for the Redis adapter."""
    if is_remote_state(state):
        try:
            from pipeline.group.redis_index import RedisIndex
        except ImportError as err:
            raise NewsdedupError(
                "a Redis state needs the redis extra (pip install -e '.[redis]' in the "
                f"repository): {err}"
            ) from None
        return RedisIndex(state, cfg)
    from pipeline.group.sqlite_index import SqliteIndex

    return SqliteIndex(Path(state), cfg)


def leaving_out(col: Collisions, gone: npt.NDArray[np.bool_]) -> Collisions:
    """``col`` without the articles where ``gone`` (one flag per ``col.ids``) is set, and
    without every row that names one of them."""
    if not gone.any():
        return col
    where = np.cumsum(~gone) - 1  # old position -> new position

    def keep(*columns: I64) -> npt.NDArray[np.bool_]:
        mask = np.ones(columns[0].size, dtype=bool)
        for c in columns:
            mask &= ~gone[c]
        return mask

    found = keep(col.other)
    batch = keep(col.batch_article)
    docs = keep(col.doc_mine, col.doc_other)
    exact = keep(col.exact_mine, col.exact_other)
    return Collisions(
        ids=[i for i, g in zip(col.ids, gone.tolist(), strict=True) if not g],
        found=col.found[found],
        other=where[col.other[found]],
        other_passage=col.other_passage[found],
        batch_group=col.batch_group[batch],
        batch_article=where[col.batch_article[batch]],
        batch_passage=col.batch_passage[batch],
        doc_mine=where[col.doc_mine[docs]],
        doc_other=where[col.doc_other[docs]],
        exact_mine=where[col.exact_mine[exact]],
        exact_other=where[col.exact_other[exact]],
    )
