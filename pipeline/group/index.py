"""The grouping state: one small port (``Index``) and its embedded adapter on SQLite.

The port is what grouping needs and nothing more: LSH (insert signatures, then query them),
document records, verified evidence between pairs, and cluster assignments. Every method
works on a batch, and a run's cost depends on its batch and the neighbourhood it touches,
never on the size of the history: nothing loads the whole state.

LSH is shaped like datasketch's ``MinHashLSH`` ("insert key with its MinHash; query MinHash ->
keys"), so a Redis adapter can keep it in ``MinHashLSH(storage_config={"type": "redis",
"basename": ...}, prepickle=False)`` with one index for passages (keys ``b"<id>:<i>"``) and
one for documents, the basename naming num_perm, the band layout and the scheme. Callers insert
a batch before querying with it, so two similar articles arriving at the same moment in two
processes still find each other: whichever queries last sees the other.

A bucket holding ``hot_bucket`` or more passages marks them all as boilerplate (``HOT``): its
members are reported once so their frequency can be saturated, and it yields no candidates.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from pipeline.config import GroupConfig
from pipeline.errors import NewsdedupError
from pipeline.group.links import Evidence, Match
from pipeline.group.signatures import band_keys

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_T = TypeVar("_T")

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]


@dataclass(slots=True)
class DocRecord:
    """One article as the state keeps it. ``sketch``: the low byte of each signature value
    (document, then passages), enough to estimate similarity before fetching the text."""

    id: str
    published: float | None
    length: int
    site: str | None
    text_hash: bytes
    text: str = field(repr=False)
    df: U16 = field(repr=False)
    sketch: U8 = field(repr=False)  # (1 + passages) x num_perm: the document, then passages
    cluster_id: str | None = None
    parent: str | None = None
    relation: str | None = None


@dataclass(slots=True)
class LshEntry:
    """A document's signatures as LSH sees them."""

    id: str
    passages: U32  # passages x num_perm
    document: U32  # num_perm
    text_hash: bytes


@dataclass(slots=True)
class Hits:
    """What an entry's query found: per passage, the (id, passage) pairs sharing a band with it
    (``hot`` lists passages in a full bucket); per document, ids sharing a band or the text hash.
    ``saturate`` names stored passages whose bucket just filled up."""

    passages: list[list[tuple[str, int]]]
    hot: set[int]
    documents: set[str]
    saturate: set[tuple[str, int]]


class Index(Protocol):
    """The port grouping talks to. Writes stay invisible until ``commit``."""

    def close(self) -> None:
        """Release the state; anything not committed is discarded."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def known(self, ids: Iterable[str]) -> set[str]:
        """The subset of ``ids`` already in the state."""

    def insert_lsh(self, entries: Sequence[LshEntry]) -> None:
        """Insert documents' passage and document signatures (before querying with them)."""

    def query_lsh(self, entries: Sequence[LshEntry]) -> dict[str, Hits]:
        """Candidates for each entry of the last ``insert_lsh``, itself excluded."""

    def put_records(self, records: Sequence[DocRecord]) -> None:
        """Insert new documents (their df and assignments included)."""

    def get_records(self, ids: Iterable[str], text: bool = True) -> dict[str, DocRecord]:
        """Stored documents by id; ``text=False`` leaves ``text`` empty (cheaper)."""

    def sketches(self, ids: Iterable[str]) -> dict[str, U8]:
        """``DocRecord.sketch`` alone, by id."""

    def set_df(self, df: Mapping[str, U16]) -> None:
        """Replace documents' passage frequencies."""

    def set_assignments(
        self, assignments: Mapping[str, tuple[str, str | None, str | None]]
    ) -> None:
        """``id -> (cluster_id, parent, relation)``."""

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        """Store (or replace) the evidence of pairs."""

    def evidence_of(self, ids: Iterable[str]) -> list[Evidence]:
        """Every stored evidence with at least one side in ``ids``."""

    def members(self, cluster_ids: Iterable[str]) -> dict[str, list[str]]:
        """The ids assigned to each cluster id."""


def open_index(state: str, cfg: GroupConfig) -> Index:
    """Open (creating it) the state at ``state``: a directory, for the embedded adapter."""
    if state.startswith(("redis://", "rediss://", "unix://")):
        raise NewsdedupError(
            "redis state needs the Redis index adapter, which is not available yet; "
            "use a directory for --state"
        )
    return SqliteIndex(Path(state), cfg)


def fingerprint(cfg: GroupConfig) -> dict[str, object]:
    """The settings that shape stored signatures, frequencies and evidence."""
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
        "hot_bucket": cfg.hot_bucket,
    }


_EVIDENCE_HEAD = np.dtype([("exact", "u1"), ("jaccard", "<f4"), ("n", "<u2")])
_MATCH = np.dtype(
    [
        ("i", "<u2"),
        ("j", "<u2"),
        ("similarity", "<f4"),
        ("heading", "u1"),
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
    body = np.frombuffer(blob[_EVIDENCE_HEAD.itemsize :], dtype=_MATCH)
    matches = [
        Match(
            int(r["i"]),
            int(r["j"]),
            float(r["similarity"]),
            bool(r["heading"]),
            int(r["a_start"]),
            int(r["a_end"]),
            int(r["b_start"]),
            int(r["b_end"]),
        )
        for r in body
    ]
    return Evidence(a, b, bool(head["exact"]), float(head["jaccard"]), matches)


_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
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
CREATE TABLE IF NOT EXISTS passage_bands (
    key INTEGER NOT NULL, ref INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY (key, ref, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hot_bands (key INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doc_bands (
    key INTEGER NOT NULL, ref INTEGER NOT NULL, PRIMARY KEY (key, ref)
) WITHOUT ROWID;
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
        self.path = state_dir / "groups.sqlite"
        self.cfg = cfg
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._db.executescript(_DDL)
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS q (key INTEGER, ref INTEGER, idx INTEGER)")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS qd (key INTEGER, ref INTEGER)")
            self._check_fingerprint()
        except sqlite3.DatabaseError as err:
            raise NewsdedupError(f"cannot open grouping state {self.path}: {err}") from err
        self._refs: dict[str, int] = {}
        self._ids: dict[int, str] = {}
        self._in_txn = False

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

    def _write(self) -> None:
        if not self._in_txn:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_txn = True

    def commit(self) -> None:
        if self._in_txn:
            self._db.execute("COMMIT")
            self._in_txn = False

    def rollback(self) -> None:
        if self._in_txn:
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
        wanted = sorted(set(ids) - self._refs.keys())
        for chunk in _chunks(wanted):
            sql = f"SELECT ref, id FROM docs WHERE id IN ({_marks(len(chunk))})"
            for ref, id_ in self._db.execute(sql, chunk):
                self._refs[id_] = ref
                self._ids[ref] = id_
        return self._refs

    def _id_of(self, refs: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(refs) - self._ids.keys())
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
                    r.sketch.astype(np.uint8).tobytes(),
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
                    sketch=np.frombuffer(row[7], dtype=np.uint8).reshape(-1, num_perm),
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
                out[id_] = np.frombuffer(blob, dtype=np.uint8).reshape(-1, self.cfg.num_perm)
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

    def _passage_rows(self, entries: Sequence[LshEntry]) -> list[tuple[int, int, int]]:
        refs = self._lookup(e.id for e in entries)
        keys, owners, idxs = [], [], []
        for e in entries:
            if not e.passages.shape[0]:
                continue
            k = band_keys(e.passages, self.cfg.passage_bands, self.cfg.passage_rows)
            keys.append(k.ravel())
            owners.append(np.full(k.size, refs[e.id], dtype=np.int64))
            idxs.append(np.repeat(np.arange(k.shape[0], dtype=np.int64), k.shape[1]))
        if not keys:
            return []
        key = np.concatenate(keys)
        order = np.argsort(key, kind="stable")
        return list(
            zip(
                key[order].tolist(),
                np.concatenate(owners)[order].tolist(),
                np.concatenate(idxs)[order].tolist(),
                strict=True,
            )
        )

    def _doc_rows(self, entries: Sequence[LshEntry]) -> list[tuple[int, int]]:
        refs = self._lookup(e.id for e in entries)
        rows: list[tuple[int, int]] = []
        for e in entries:
            k = band_keys(e.document, self.cfg.doc_bands, self.cfg.doc_rows, salt=1)
            rows.extend((int(x), refs[e.id]) for x in np.unique(k))
        rows.sort()
        return rows

    def insert_lsh(self, entries: Sequence[LshEntry]) -> None:
        self._write()
        db = self._db
        db.execute("DELETE FROM temp.q")
        db.executemany("INSERT INTO temp.q VALUES (?,?,?)", self._passage_rows(entries))
        db.execute(
            "INSERT OR IGNORE INTO passage_bands SELECT key, ref, idx FROM temp.q"
            " WHERE key NOT IN (SELECT key FROM hot_bands)"
        )
        db.execute("DELETE FROM temp.qd")
        db.executemany("INSERT INTO temp.qd VALUES (?,?)", self._doc_rows(entries))
        db.execute("INSERT OR IGNORE INTO doc_bands SELECT key, ref FROM temp.qd")

    def query_lsh(self, entries: Sequence[LshEntry]) -> dict[str, Hits]:
        """Query the entries inserted by the last ``insert_lsh`` (its rows are still staged)."""
        self._write()
        db = self._db
        refs = self._lookup(e.id for e in entries)
        hits = {
            e.id: Hits([[] for _ in range(e.passages.shape[0])], set(), set(), set())
            for e in entries
        }
        # Buckets known to be full, and buckets this batch fills.
        hot = {
            k for (k,) in db.execute("SELECT key FROM hot_bands WHERE key IN (SELECT key FROM temp.q)")
        }
        full = db.execute(
            "SELECT key FROM passage_bands WHERE key IN (SELECT key FROM temp.q)"
            " GROUP BY key HAVING COUNT(*) >= ?",
            (self.cfg.hot_bucket,),
        ).fetchall()
        newly_hot = {k for (k,) in full} - hot
        if newly_hot:
            db.executemany("INSERT OR IGNORE INTO hot_bands VALUES (?)", [(k,) for k in sorted(newly_hot)])
            hot |= newly_hot
        rows = db.execute(
            "SELECT q.key, q.ref, q.idx, p.ref, p.idx FROM temp.q q"
            " JOIN passage_bands p ON p.key = q.key WHERE p.ref != q.ref"
        ).fetchall()
        doc_rows = db.execute(
            "SELECT DISTINCT q.ref, d.ref FROM temp.qd q JOIN doc_bands d ON d.key = q.key"
            " WHERE d.ref != q.ref"
        ).fetchall()
        names = self._id_of({r[3] for r in rows} | {r[1] for r in doc_rows} | set(refs.values()))
        for key, ref, idx, oref, oidx in rows:
            h = hits[names[ref]]
            if key in hot:
                h.hot.add(idx)
                if key in newly_hot:
                    h.saturate.add((names[oref], oidx))
            else:
                h.passages[idx].append((names[oref], oidx))
        if hot:
            for key, ref, idx in db.execute("SELECT key, ref, idx FROM temp.q"):
                if key in hot:
                    hits[names[ref]].hot.add(idx)
        for h in hits.values():
            for idx in h.hot:
                h.passages[idx] = []
            for lst in h.passages:
                lst.sort()
        for ref, oref in doc_rows:
            hits[names[ref]].documents.add(names[oref])
        for e in entries:
            for (other,) in db.execute(
                "SELECT id FROM docs WHERE text_hash = ? AND id != ? ORDER BY id LIMIT ?",
                (e.text_hash, e.id, self.cfg.hot_bucket),
            ):
                hits[e.id].documents.add(other)
        return hits
