"""The embedded index adapter: one SQLite file (WAL) and sorted band runs in a directory.

Articles, their passage frequencies, evidence and assignments are SQLite rows; articles carry
zlib-compressed text for verification and explanations. LSH band keys live in
``pipeline.group.bandstore`` runs, listed in the same SQLite transaction. Articles are named by
an integer ``ref`` inside the state and by their id outside it.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from pipeline.config import STATE_DB, GroupConfig
from pipeline.errors import NewsdedupError
from pipeline.group.bandstore import BandStore
from pipeline.group.clusters import order_key
from pipeline.group.index import (
    I64,
    SKETCH_BITS,
    U8,
    U16,
    Collisions,
    DocRecord,
    LshEntry,
    TextOnSite,
    contains,
    distinct_rows,
    fan_out,
    fingerprint,
    shared_bands,
    unique_sorted,
)
from pipeline.group.links import Evidence, Match
from pipeline.group.signatures import band_keys

_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_DOC_CHUNK = 512  # articles whose crowded whole-article buckets are expanded at a time
_T = TypeVar("_T")
_IDX_BITS = np.int64(16)  # a passage band value is ref << 16 | passage index
_IDX_MASK = np.int64(0xFFFF)
_PASSAGE, _DOCUMENT, _HOT = "passage", "document", "hot"
# Band keys are kept to 32 bits (stored as uint32): a chance collision costs one cheap sketch
# comparison, and the runs are a third smaller.
_KEY_MASK = np.int64(0xFFFFFFFF)

_EVIDENCE_HEAD = np.dtype([("exact", "u1"), ("jaccard", "<f4"), ("n", "<u2")])
_MATCH = np.dtype(
    [
        ("i", "<u2"),
        ("j", "<u2"),
        ("similarity", "<f4"),
        ("heading", "?"),
        ("a_start", "<u4"),
        ("a_end", "<u4"),
        ("b_start", "<u4"),
        ("b_end", "<u4"),
    ]
)


def _pack_evidence(ev: Evidence) -> bytes:
    head = np.array([(ev.exact, ev.jaccard, len(ev.matches))], dtype=_EVIDENCE_HEAD)
    body = np.array(
        [
            (m.i, m.j, m.similarity, m.heading, m.a_start, m.a_end, m.b_start, m.b_end)
            for m in ev.matches
        ],
        dtype=_MATCH,
    )
    return head.tobytes() + body.tobytes()


def _unpack_evidence(a: str, b: str, blob: bytes) -> Evidence:
    head = np.frombuffer(blob[: _EVIDENCE_HEAD.itemsize], dtype=_EVIDENCE_HEAD)[0]
    body = np.frombuffer(blob[_EVIDENCE_HEAD.itemsize :], dtype=_MATCH).tolist()
    matches = list(map(Match._make, body))
    return Evidence(a, b, bool(head["exact"]), float(head["jaccard"]), matches)


def _pack_sketch(sketch: U8) -> bytes:
    """The sketch values, one byte each (``SKETCH_BITS`` is 8)."""
    return sketch.astype(np.uint8).tobytes()


def _unpack_sketch(blob: bytes, num_perm: int) -> U8:
    return np.frombuffer(blob, dtype=np.uint8).reshape(-1, num_perm)


_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS saved_runs (run_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (
    ref INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published REAL,
    length INTEGER NOT NULL,
    site TEXT,
    text_hash BLOB NOT NULL,
    text BLOB NOT NULL,
    df BLOB NOT NULL,
    sketch BLOB NOT NULL,
    cluster_id TEXT,
    parent TEXT,
    relation TEXT
);
CREATE INDEX IF NOT EXISTS docs_text_hash ON docs (text_hash);
CREATE INDEX IF NOT EXISTS docs_cluster ON docs (cluster_id);
CREATE TABLE IF NOT EXISTS evidence (
    a INTEGER NOT NULL, b INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_b ON evidence (b);
"""


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


@dataclass(frozen=True, slots=True)
class _Members:
    """Stored rows of some buckets (``bucket``: which, ``value``: the stored value), with the
    articles they name (``refs``, sorted; ``pos``: each row's article in it) and each
    article's place in the canonical order (``rank``; ``refs.size`` for one without a
    record)."""

    bucket: I64
    value: I64
    refs: I64
    pos: I64
    rank: I64

    def earliest(self, most: int, ours: set[int]) -> tuple[I64, I64]:
        """The rows of the ``most`` articles of each bucket first in the canonical order among
        ``ours``, and of the ``most`` first among the others: (bucket, value) pairs."""
        n = np.int64(self.refs.size)
        other = ~np.isin(self.refs, np.fromiter(ours, dtype=np.int64, count=len(ours)))
        # One row per (bucket, article), in bucket, batch's first, canonical order.
        member = self.bucket * n + self.pos
        pairs = unique_sorted(member)
        bucket, ref = pairs // n, pairs % n
        order = np.lexsort((self.rank[ref], other[ref], bucket))
        bucket, ref = bucket[order], ref[order]
        group = bucket * 2 + other[ref]
        starts = np.ones(group.size, dtype=bool)
        starts[1:] = group[1:] != group[:-1]
        first = np.maximum.accumulate(np.where(starts, np.arange(group.size), 0))
        take = (np.arange(group.size) - first < most) & (self.rank[ref] < n)
        keep = contains(unique_sorted(bucket[take] * n + ref[take]), member)
        return self.bucket[keep], self.value[keep]


def _pairs_sharing_bands(upassage: I64, value: I64, least: int) -> tuple[I64, I64]:
    """The distinct ``(upassage, value)`` pairs with ``least`` rows or more (one row per band
    shared), sorted. Both arrays are given up: the pairs are sorted as one number each, in
    place, which needs a few bytes a row where ``shared_bands`` and a sort on two columns
    needed several times the rows (the largest arrays of a batch's query)."""
    if not upassage.size:
        return upassage, value
    radix = int(value.max()) + 1
    if (int(upassage.max()) + 1) * radix > np.iinfo(np.int64).max:
        shared = shared_bands((upassage, value), least)
        upassage, value = upassage[shared], value[shared]
        order = np.lexsort((value, upassage))
        upassage, value = upassage[order], value[order]
        once = np.ones(upassage.size, dtype=bool)
        once[1:] = (upassage[1:] != upassage[:-1]) | (value[1:] != value[:-1])
        return upassage[once], value[once]
    key = upassage
    key *= radix
    key += value
    del upassage, value
    key.sort()
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    rows = np.diff(np.append(first, key.size))
    pairs = key[first[rows >= least]]
    return pairs // radix, pairs % radix


# Rows of a query's results judged at a time (a few bytes each per temporary array).
_ROWS_AT_ONCE = 1 << 20


class SqliteIndex:
    """The embedded adapter: one SQLite file (WAL) in the state directory.

    Band keys live in WITHOUT ROWID tables keyed by band key, so a lookup is one B-tree
    descent; documents carry zlib-compressed text for verification and explanations. Articles
    are referred to by an integer ``ref`` inside the file and by their id outside it.
    """

    def __init__(self, state_dir: Path, cfg: GroupConfig) -> None:
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise NewsdedupError(f"cannot create state directory {state_dir}: {err}") from err
        self.path = state_dir / STATE_DB
        self.cfg = cfg
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk when it returns, before the run publishes its outputs
            # (NORMAL, in WAL mode, may lose the last commits to a power loss)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._db.executescript(_DDL)
            self._bands = BandStore(state_dir / "bands", self._db)
            self._check_fingerprint()
        except (sqlite3.DatabaseError, OSError) as err:  # OSError: a file where bands/ goes
            if hasattr(self, "_db"):
                self._db.close()
            raise NewsdedupError(f"cannot open grouping state {self.path}: {err}") from None
        if SKETCH_BITS != 8:
            raise NewsdedupError("sketches are stored one 8-bit value a byte")
        self._refs: dict[str, int] = {}
        self._ids: dict[int, str] = {}
        self._in_txn = False
        self._floor = 0  # the first ref of the open write transaction (see _write)
        self._staged: tuple[list[str], tuple[I64, I64, I64, I64, I64, I64, I64]] | None = None

    # -- transactions -------------------------------------------------------------------

    def _check_fingerprint(self) -> None:
        mine = json.dumps(fingerprint(self.cfg), sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('fingerprint', ?)", (mine,))
        elif row[0] != mine:
            raise NewsdedupError(
                f"grouping state {self.path} was built with other signature settings "
                f"({row[0]}); use a new state directory for these ({mine})"
            )

    def state_id(self) -> str:
        # OR IGNORE: two processes asking at once keep the first id
        self._db.execute(
            "INSERT OR IGNORE INTO meta VALUES ('state_id', ?)", (secrets.token_hex(8),)
        )
        row = self._db.execute("SELECT value FROM meta WHERE key = 'state_id'").fetchone()
        return str(row[0])

    def _write(self) -> None:
        if not self._in_txn:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_txn = True
            self._bands.collect_garbage()
            # Refs grow: the articles stored before this batch are those below this one.
            sql = "SELECT COALESCE(MAX(ref), 0) + 1 FROM docs"
            (self._floor,) = self._db.execute(sql).fetchone()

    def first_stored(self, text_hashes: Iterable[bytes]) -> dict[TextOnSite, str]:
        wanted = sorted(set(text_hashes))
        floor = self._floor if self._in_txn else None
        out: dict[TextOnSite, str] = {}
        for chunk in _chunks(wanted):
            sql = (
                "SELECT text_hash, sketch, site, MIN(id) FROM docs WHERE text_hash IN"
                f" ({_marks(len(chunk))}) AND (? IS NULL OR ref < ?)"
                " GROUP BY text_hash, sketch, site"
            )
            for text_hash, sketch, site, id_ in self._db.execute(sql, [*chunk, floor, floor]):
                out[bytes(text_hash), bytes(sketch), site] = id_
        return out

    def commit(self) -> None:
        if self._in_txn:
            self._db.execute("COMMIT")
            self._in_txn = False

    def rollback(self) -> None:
        if self._in_txn:
            # SQLite may have rolled back already (SQLITE_FULL does): nothing left to undo
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self._in_txn = False
        # Refs handed out inside the transaction are gone with it.
        self._refs.clear()
        self._ids.clear()

    def close(self) -> None:
        self.rollback()
        self._db.close()

    # -- ids ----------------------------------------------------------------------------

    def _lookup(self, ids: Iterable[str]) -> dict[str, int]:
        wanted = sorted({i for i in ids if i not in self._refs})
        for chunk in _chunks(wanted):
            sql = f"SELECT ref, id FROM docs WHERE id IN ({_marks(len(chunk))})"
            for ref, id_ in self._db.execute(sql, chunk):
                self._refs[id_] = ref
                self._ids[ref] = id_
        return self._refs

    def _id_of(self, refs: Iterable[int]) -> dict[int, str]:
        wanted = sorted({r for r in refs if r not in self._ids})
        for chunk in _chunks(wanted):
            sql = f"SELECT ref, id FROM docs WHERE ref IN ({_marks(len(chunk))})"
            for ref, id_ in self._db.execute(sql, chunk):
                self._refs[id_] = ref
                self._ids[ref] = id_
        return self._ids

    def known(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        refs = self._lookup(wanted)
        return {i for i in wanted if i in refs}

    def record_run(self, run_id: str) -> None:
        self._write()
        self._db.execute("INSERT OR IGNORE INTO saved_runs VALUES (?)", (run_id,))

    def recorded_runs(self, run_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(run_ids))):
            sql = f"SELECT run_id FROM saved_runs WHERE run_id IN ({_marks(len(chunk))})"
            found.update(row[0] for row in self._db.execute(sql, chunk))
        return found

    # -- records ------------------------------------------------------------------------

    def put_records(self, records: Sequence[DocRecord]) -> None:
        self._write()
        self._db.executemany(
            "INSERT INTO docs (id, published, length, site, text_hash, text, df, sketch,"
            " cluster_id, parent, relation) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    r.id,
                    r.published,
                    r.length,
                    r.site,
                    r.text_hash,
                    zlib.compress(r.text.encode("utf-8"), 6),
                    r.df.astype("<u2").tobytes(),
                    _pack_sketch(r.sketch),
                    r.cluster_id,
                    r.parent,
                    r.relation,
                )
                for r in records
            ],
        )
        self._lookup(r.id for r in records)

    def get_records(self, ids: Iterable[str], text: bool = True) -> dict[str, DocRecord]:
        wanted = sorted(set(ids))
        out: dict[str, DocRecord] = {}
        text_col = "text" if text else "NULL"
        num_perm = self.cfg.num_perm
        for chunk in _chunks(wanted):
            rows = self._db.execute(
                f"SELECT id, published, length, site, text_hash, {text_col}, df, sketch,"
                f" cluster_id, parent, relation FROM docs WHERE id IN ({_marks(len(chunk))})",
                chunk,
            )
            for row in rows:
                out[row[0]] = DocRecord(
                    id=row[0],
                    published=row[1],
                    length=row[2],
                    site=row[3],
                    text_hash=row[4],
                    text=zlib.decompress(row[5]).decode("utf-8") if row[5] is not None else "",
                    df=np.frombuffer(row[6], dtype="<u2").astype(np.uint16),
                    sketch=_unpack_sketch(row[7], num_perm),
                    cluster_id=row[8],
                    parent=row[9],
                    relation=row[10],
                )
        return out

    def sketches(self, ids: Iterable[str]) -> dict[str, U8]:
        wanted = sorted(set(ids))
        out: dict[str, U8] = {}
        for chunk in _chunks(wanted):
            sql = f"SELECT id, sketch FROM docs WHERE id IN ({_marks(len(chunk))})"
            for id_, blob in self._db.execute(sql, chunk):
                out[id_] = _unpack_sketch(blob, self.cfg.num_perm)
        return out

    def set_df(self, df: Mapping[str, U16]) -> None:
        self._write()
        self._db.executemany(
            "UPDATE docs SET df = ? WHERE id = ?",
            [(v.astype("<u2").tobytes(), k) for k, v in sorted(df.items())],
        )

    def set_assignments(
        self, assignments: Mapping[str, tuple[str, str | None, str | None]]
    ) -> None:
        self._write()
        self._db.executemany(
            "UPDATE docs SET cluster_id = ?, parent = ?, relation = ? WHERE id = ?",
            [(c, p, r, k) for k, (c, p, r) in sorted(assignments.items())],
        )

    def members(self, cluster_ids: Iterable[str]) -> dict[str, list[str]]:
        wanted = sorted(set(cluster_ids))
        out: dict[str, list[str]] = {c: [] for c in wanted}
        for chunk in _chunks(wanted):
            sql = f"SELECT id, cluster_id FROM docs WHERE cluster_id IN ({_marks(len(chunk))})"
            for id_, cid in self._db.execute(sql, chunk):
                out[cid].append(id_)
        for v in out.values():
            v.sort()
        return out

    # -- evidence -----------------------------------------------------------------------

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        self._write()
        refs = self._lookup([e.a for e in evidence] + [e.b for e in evidence])
        self._db.executemany(
            "INSERT OR REPLACE INTO evidence (a, b, data) VALUES (?,?,?)",
            [(refs[e.a], refs[e.b], _pack_evidence(e)) for e in evidence],
        )

    def evidence_of(self, ids: Iterable[str]) -> list[Evidence]:
        wanted = sorted(set(ids))
        refs = self._lookup(wanted)
        mine = sorted(refs[i] for i in wanted if i in refs)
        rows: dict[tuple[int, int], bytes] = {}
        for chunk in _chunks(mine):
            marks = _marks(len(chunk))
            for sql in (
                f"SELECT a, b, data FROM evidence WHERE a IN ({marks})",
                f"SELECT a, b, data FROM evidence WHERE b IN ({marks})",
            ):
                for a, b, data in self._db.execute(sql, chunk):
                    rows[(a, b)] = data
        names = self._id_of({r for pair in rows for r in pair})
        return [_unpack_evidence(names[a], names[b], d) for (a, b), d in sorted(rows.items())]

    # -- LSH ----------------------------------------------------------------------------

    def _band_rows(self, entries: Sequence[LshEntry]) -> tuple[I64, I64, I64, I64, I64, I64, I64]:
        """Passage band keys with their entry and passage numbers and whether their bucket is
        known to be full; document band keys with their entry number. Computed once per
        batch: insert and query use the same."""
        if self._staged is not None and self._staged[0] == [e.id for e in entries]:
            return self._staged[1]
        cfg = self.cfg
        # All passages of the batch at once: one vectorised pass.
        counts = np.array([e.passages.shape[0] for e in entries], dtype=np.int64)
        pkeys, powner, pidx = [], [], []
        if counts.sum():
            matrix = np.concatenate([e.passages for e in entries if e.passages.shape[0]])
            k = band_keys(matrix, cfg.passage_bands, cfg.passage_rows) & _KEY_MASK
            pkeys.append(k.ravel())
            owner = np.repeat(np.arange(len(entries), dtype=np.int64), counts)
            first = np.repeat(np.cumsum(counts) - counts, counts)
            powner.append(np.repeat(owner, k.shape[1]))
            pidx.append(np.repeat(np.arange(owner.size, dtype=np.int64) - first, k.shape[1]))
        # An article without a single shingle has an all-empty signature: it matches nothing.
        some = [n for n, e in enumerate(entries) if e.text_hash]
        docs = np.array([entries[n].document for n in some], dtype=np.uint32)
        docs = docs.reshape(len(some), cfg.num_perm)
        dk = band_keys(docs, cfg.doc_bands, cfg.doc_rows, salt=1) & _KEY_MASK
        dkeys = [dk.ravel()]
        downer = [np.repeat(np.array(some, dtype=np.int64), dk.shape[1])]
        empty = np.zeros(0, dtype=np.int64)
        keys = np.concatenate(pkeys) if pkeys else empty
        order = np.argsort(keys)
        _, hot = self._bands.lookup(_HOT, keys)
        rows = (
            keys,
            order,
            np.concatenate(powner) if powner else empty,
            np.concatenate(pidx) if pidx else empty,
            hot,
            np.concatenate(dkeys) if dkeys else empty,
            np.concatenate(downer) if downer else empty,
        )
        self._staged = ([e.id for e in entries], rows)
        return rows

    def insert_lsh(self, entries: Sequence[LshEntry]) -> None:
        self._write()
        refs = self._lookup(e.id for e in entries)
        batch_refs = np.array([refs[e.id] for e in entries], dtype=np.int64)
        pkeys, order, powner, pidx, hot, dkeys, downer = self._band_rows(entries)
        if pkeys.size:
            values = (batch_refs[powner] << _IDX_BITS) | pidx
            # A full bucket takes no more members, so that what it yields stays small.
            fresh = order[hot[order] == 0]  # sorted positions of keys to store
            # An article enters a bucket once, by its first passage there (two of its lines
            # alike but for a number share most buckets): a bucket counts articles.
            fresh = fresh[np.lexsort((values[fresh], pkeys[fresh]))]
            k, ref = pkeys[fresh], values[fresh] >> _IDX_BITS
            once = np.ones(fresh.size, dtype=bool)
            once[1:] = (k[1:] != k[:-1]) | (ref[1:] != ref[:-1])
            self._bands.insert(_PASSAGE, pkeys, values, order=fresh[once])
        if dkeys.size:
            self._bands.insert(_DOCUMENT, dkeys, batch_refs[downer])

    def _document_pairs(self, keys: I64, owner: I64, batch_refs: I64) -> tuple[I64, I64]:
        """Whole articles sharing ``doc_min_bands`` bands with the batch's: (entry number,
        ref) pairs, one per pair, for the band keys ``keys`` of the entries ``owner``.

        A bucket yields its articles or, when it holds more than ``doc_bucket_cap`` (copies of
        one text), the earliest ``doc_bucket_cap`` of the batch's and the earliest
        ``doc_bucket_cap`` of the others in the canonical order: a batch of copies earlier
        than stored ones still meets the stored ones' cluster (its canonical member), so
        that it moves to them whole, as if all had come in one batch. Buckets are looked up
        once; the crowded ones are expanded a few hundred articles at a time (an article's
        keys are consecutive), so that n copies of one text need memory for a few hundred
        times the cap, not n times.
        """
        cfg = self.cfg
        cap = cfg.doc_bucket_cap
        chosen: dict[int, I64] = {}
        mine, other = [], []
        # One look-up for the whole batch: its binary searches in key order are several
        # times faster than one per chunk. A crowded bucket yields no row here.
        found, counts = self._bands.lookup(_DOCUMENT, keys, limit=cap + 1)
        order = np.argsort(found.query, kind="stable")
        all_query, all_ref = found.query[order], found.value[order]
        ours = set(batch_refs.tolist())
        step = _DOC_CHUNK * cfg.doc_bands
        for start in range(0, keys.size, step):
            part = keys[start : start + step]
            lo, hi = np.searchsorted(all_query, [start, start + part.size])
            query, ref = all_query[lo:hi] - start, all_ref[lo:hi]
            crowded = np.flatnonzero(counts[start : start + step] > cap)
            if crowded.size:
                more_query, more_ref = self._earliest_in_buckets(
                    _DOCUMENT, part, crowded, chosen, ours, cap
                )
                query = np.concatenate([query, more_query])
                ref = np.concatenate([ref, more_ref])
            entry = owner[start + query]
            keep = ref != batch_refs[entry]
            keep[keep] = shared_bands((entry[keep], ref[keep]), cfg.doc_min_bands)
            # One row per pair: copies share every band, and grouping needs each pair once.
            # (One number per pair, as np.unique(axis=0) on the two columns was 5x slower.)
            radix = np.int64(int(ref.max(initial=0)) + 1)
            pairs = unique_sorted(entry[keep] * radix + ref[keep])
            mine.append(pairs // radix)
            other.append(pairs % radix)
        if not mine:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(mine), np.concatenate(other)

    def _earliest_in_buckets(
        self, space: str, keys: I64, rows: I64, chosen: dict[int, I64], ours: set[int], most: int
    ) -> tuple[I64, I64]:
        """For the queries ``rows`` of ``keys`` (band keys of ``space``): the stored values of
        the ``most`` articles of each one's bucket first in the canonical order among the
        batch's (``ours``) and of the ``most`` first among the others, as
        ``index.earliest_of_each`` chooses them (``_Members.earliest``), as (query row, value)
        pairs. Each bucket is read once (``chosen`` keeps them)."""
        unique, which = np.unique(keys[rows], return_inverse=True)
        new = np.array([k for k in unique.tolist() if k not in chosen], dtype=np.int64)
        if new.size:
            bucket, value = self._members(space, new).earliest(most, ours)
            order = np.argsort(bucket, kind="stable")
            bounds = np.searchsorted(bucket[order], np.arange(new.size + 1))
            value = value[order]
            for k, lo, hi in zip(
                new.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True
            ):
                chosen[k] = value[lo:hi]
        picks = [chosen[k] for k in unique.tolist()]
        sizes = np.array([p.size for p in picks], dtype=np.int64)
        row, member = fan_out(
            np.repeat(np.arange(unique.size, dtype=np.int64), sizes), which.reshape(-1)
        )
        return rows[member], np.concatenate(picks)[row]

    def _members(self, space: str, unique: I64) -> _Members:
        """The stored articles of each bucket ``unique`` of ``space``, ranked in the canonical
        order: read once, chosen from as often as needed."""
        shift = _IDX_BITS if space == _PASSAGE else np.int64(0)
        stored = self._bands.values_of(space, unique)
        owners = stored.value >> shift
        refs = unique_sorted(owners)
        key = {}
        for chunk in _chunks(refs.tolist()):
            sql = f"SELECT ref, id, published, length FROM docs WHERE ref IN ({_marks(len(chunk))})"
            for ref, id_, published, length in self._db.execute(sql, chunk):
                key[ref] = order_key(id_, published, length)
        # Each article's place in the canonical order (one without a record: never chosen).
        ranked = np.array(sorted(key, key=key.__getitem__), dtype=np.int64)
        rank = np.full(refs.size, refs.size, dtype=np.int64)
        rank[np.searchsorted(refs, ranked)] = np.arange(ranked.size)
        return _Members(stored.query, stored.value, refs, np.searchsorted(refs, owners), rank)

    def _passage_pairs(
        self, keys: I64, known_hot: I64, owner_refs: I64, batch_refs: I64
    ) -> tuple[I64, I64, I64, I64]:
        """Passages sharing ``passage_min_bands`` bands or more with the batch's (band keys
        ``keys``, ``passage_bands`` a passage, of the articles ``owner_refs``): as
        ``Collisions`` has them, the distinct batch passage, the other article's ref and its
        passage, one row per pair; and the distinct passage each batch passage is. Rows
        that could only pair a passage with its own article (which ``Collisions.pairs``
        leaves out) are left out here already: every passage meets itself in all its bands.

        Batch passages with the same band keys (a line on every page of a site, the sentences
        of a story's copies) meet the same buckets: each distinct one is looked up once. A
        full bucket yields its ``hot_bucket`` earliest articles (``index`` explains why)."""
        cfg = self.cfg
        bands = cfg.passage_bands
        per_passage = keys.reshape(-1, bands)
        first, same = distinct_rows(per_passage)
        ukeys = per_passage[first].ravel()
        most = cfg.hot_bucket
        # The article of each distinct passage whose batch passages are all of one article:
        # its rows of that article could only pair the passage with itself.
        ref_of = owner_refs[first]
        ref_of[np.bincount(same[owner_refs != ref_of[same]], minlength=first.size) > 0] = -1

        def useful(query: I64, value: I64) -> npt.NDArray[np.bool_]:
            other: npt.NDArray[np.bool_] = ref_of[query // bands] != value >> _IDX_BITS
            return other

        found, counts = self._bands.lookup(_PASSAGE, ukeys, limit=cfg.hot_bucket)
        known = known_hot.reshape(-1, bands)[first].ravel() > 0
        filled = (counts >= cfg.hot_bucket) & ~known
        skip = known | filled
        # Judged a part at a time, and copied once: the rows found are the largest arrays of
        # a batch's query.
        keep = np.empty(found.query.size, dtype=bool)
        for lo in range(0, keep.size, _ROWS_AT_ONCE):
            hi = lo + _ROWS_AT_ONCE
            keep[lo:hi] = ~skip[found.query[lo:hi]] & useful(found.query[lo:hi], found.value[lo:hi])
        upassage = found.query[keep]
        upassage //= bands
        upassages, values = [upassage], [found.value[keep]]
        del found, keep
        if known.any():
            # A bucket filled before this batch holds none of it: its earliest articles were
            # kept when it filled.
            rows = np.flatnonzero(known)
            sample = self._bands.values_of(_HOT, ukeys[rows])
            query = rows[sample.query]
            mask = useful(query, sample.value)
            upassages.append(query[mask] // bands)
            values.append(sample.value[mask])
        if filled.any():
            rows = np.flatnonzero(filled)
            newly, which = np.unique(ukeys[rows], return_inverse=True)
            members = self._members(_PASSAGE, newly)
            bucket, chosen_value = members.earliest(most, set(batch_refs.tolist()))
            chosen, row = fan_out(bucket, which.reshape(-1))
            query, value = rows[row], chosen_value[chosen]
            mask = useful(query, value)
            upassages.append(query[mask] // bands)
            values.append(value[mask])
            # What it yields from now on (it takes no more): its earliest articles of all.
            bucket, kept = members.earliest(most, set())
            self._bands.insert(_HOT, newly[bucket], kept)
        if len(upassages) > 1:
            upassage, value = np.concatenate(upassages), np.concatenate(values)
        else:
            upassage, value = upassages[0], values[0]
        del upassages, values
        upassage, value = _pairs_sharing_bands(upassage, value, cfg.passage_min_bands)
        return upassage, value >> _IDX_BITS, value & _IDX_MASK, same

    def query_lsh(self, entries: Sequence[LshEntry]) -> Collisions:
        self._write()
        cfg = self.cfg
        refs = self._lookup(e.id for e in entries)
        batch_refs = np.array([refs[e.id] for e in entries], dtype=np.int64)
        pos_of = {int(r): i for i, r in enumerate(batch_refs)}
        keys, _, owner, idx, known_hot, dkeys, downer_all = self._band_rows(entries)
        out = Collisions([e.id for e in entries])
        other_refs: list[I64] = []
        if keys.size:
            out.found, oref, out.other_passage, out.batch_group = self._passage_pairs(
                keys, known_hot, batch_refs[owner[:: cfg.passage_bands]], batch_refs
            )
            # A batch passage, numbered as its first band key's row over bands.
            out.batch_article = owner[:: cfg.passage_bands]
            out.batch_passage = idx[:: cfg.passage_bands]
            other_refs.append(oref)
        else:
            oref = np.zeros(0, dtype=np.int64)
        downer, dref = self._document_pairs(dkeys, downer_all, batch_refs)
        other_refs.append(dref)
        # Identical texts, however many: the first hot_bucket by id are enough to join them.
        # One look-up per text, however many of the batch's articles have it.
        first: dict[bytes, list[int]] = {}
        exact_mine, exact_refs = [], []
        for n, e in enumerate(entries):
            if not e.text_hash:
                continue
            if e.text_hash not in first:
                first[e.text_hash] = [
                    r
                    for (r,) in self._db.execute(
                        "SELECT ref FROM docs WHERE text_hash = ? ORDER BY id LIMIT ?",
                        (e.text_hash, cfg.hot_bucket + 1),
                    )
                ]
            same = [r for r in first[e.text_hash] if r != refs[e.id]][: cfg.hot_bucket]
            exact_mine += [n] * len(same)
            exact_refs += same
        other_refs.append(np.array(exact_refs, dtype=np.int64))
        # Name every other article, the batch's own first.
        every = unique_sorted(np.concatenate(other_refs))
        names = self._id_of(every.tolist())
        for r in every.tolist():
            if r not in pos_of:
                pos_of[r] = len(out.ids)
                out.ids.append(names[r])
        table = np.array([pos_of[r] for r in every.tolist()], dtype=np.int64)

        def to_pos(refs: I64) -> I64:
            return table[np.searchsorted(every, refs)]

        if oref.size:
            out.other = to_pos(oref)
        out.doc_mine = downer
        if dref.size:
            out.doc_other = to_pos(dref)
        if exact_refs:
            out.exact_mine = np.array(exact_mine, dtype=np.int64)
            out.exact_other = to_pos(np.array(exact_refs, dtype=np.int64))
        return out
