"""LSH buckets on disk as immutable sorted runs: the embedded adapter's band-key store.

Each insert writes one run: its band keys (32 bits) sorted, with a 48-bit value per key (which
article, which passage), as two ``.npy`` files. A lookup is a binary search in every run (memory
mapped, so only the touched pages are read), vectorised over a whole batch of keys. Runs are
merged in levels, eight at a time, up to ``MAX_MERGED_ROWS`` rows (so merging needs bounded
memory), so a lookup visits a few dozen runs at a million articles.

Which runs exist is recorded in the caller's SQLite transaction (``runs`` table), so a run
becomes visible exactly when the batch that wrote it commits. A file no committed row names
(a rolled-back batch, a crash, a run merged away) is deleted by the next writer, which holds
SQLite's write lock and so cannot race another writer's uncommitted run.

Measured on wire-dev (530k passage band keys in one batch): rows in an SQLite WITHOUT ROWID
table cost about 1.3 ms per article to insert and join; with runs, the whole LSH insert and
query (band keys, full-bucket checks, candidates) costs about 0.2 ms per article.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.durable import sync_directory

I64 = npt.NDArray[np.int64]
Keys = npt.NDArray[np.uint32]
Words = npt.NDArray[np.uint16]  # values, three 16-bit words each

FANOUT = 8
# Runs are merged up to this many rows (about 0.7 GB to merge, 0.7 GB on disk); beyond, they
# stay side by side, so the memory a merge needs does not grow with the history.
MAX_MERGED_ROWS = 1 << 26
_U32_MAX = (1 << 32) - 1
# Sort the queries first when there are at least this many: binary searches in key order touch
# a run's pages in order and keep them in cache, 4 to 30 times faster on any run from 50,000
# to 50 million keys with 100,000 or more queries, and no slower with 10,000.
_SORTED_QUERIES = 1 << 12
# Keys searched at a time: a batch's arrays for the search stay about 2^18 x 60 bytes, and
# 2^18 sorted queries keep the speed of searching in key order.
_LOOKUP_CHUNK = 1 << 18

DDL = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY, space TEXT NOT NULL, level INTEGER NOT NULL, rows INTEGER NOT NULL
) WITHOUT ROWID;
"""


def _encode(values: I64) -> Words:
    """Values as three 16-bit words each (48 bits: 6 bytes on disk instead of 8)."""
    if values.size and (int(values.min()) < 0 or int(values.max()) >> 48):
        raise ValueError("band values must fit in 48 bits")
    words = np.empty((values.size, 3), dtype=np.uint16)
    for n, shift in enumerate((0, 16, 32)):
        words[:, n] = values >> shift  # the cast to 16 bits keeps the low word
    return words


def _decode(words: Words) -> I64:
    # Little-endian words padded to four read as int64 in place: no arithmetic per row.
    padded = np.zeros((words.shape[0], 4), dtype="<u2")
    padded[:, :3] = words
    out: I64 = padded.view("<i8").reshape(-1).astype(np.int64, copy=False)
    return out


@dataclass(frozen=True, slots=True)
class Found:
    """Lookup results: row ``k`` says query key ``query[k]`` is stored with ``value[k]``."""

    query: I64
    value: I64


class BandStore:
    """Band keys of one state directory, in named spaces ("passage", "document")."""

    def __init__(
        self, directory: Path, db: sqlite3.Connection, max_rows: int = MAX_MERGED_ROWS
    ) -> None:
        self.dir = directory
        self.max_rows = max_rows
        self.dir.mkdir(parents=True, exist_ok=True)
        self._db = db
        db.executescript(DDL)

    def _runs(self, space: str) -> list[str]:
        rows = self._db.execute(
            "SELECT name FROM runs WHERE space = ? ORDER BY level DESC, name", (space,)
        )
        return [name for (name,) in rows]

    def _keys(self, name: str) -> Keys:
        # Mapped afresh for each use and let go after it: pages of a mapping still held count
        # in the process's resident memory, and a lookup touches most of every run's keys.
        keys: Keys = np.load(self.dir / f"{name}.keys.npy", mmap_mode="r")
        return keys

    def _values(self, name: str) -> Words:
        values: Words = np.load(self.dir / f"{name}.values.npy", mmap_mode="r")
        return values

    def _write(self, space: str, level: int, keys: Keys, words: Words) -> None:
        """Write a sorted run: 32-bit keys, and values as ``_encode`` makes them."""
        name = f"{space[0]}{level}-{secrets.token_hex(8)}"
        for suffix, array in (("keys", keys), ("values", words)):
            path = self.dir / f"{name}.{suffix}.npy"
            with open(path, "wb") as fh:
                np.save(fh, np.ascontiguousarray(array))
                fh.flush()
                os.fsync(fh.fileno())
        sync_directory(self.dir)  # the files' names too, before a committed row names them
        self._db.execute(
            "INSERT INTO runs (name, space, level, rows) VALUES (?,?,?,?)",
            (name, space, level, int(keys.size)),
        )

    def collect_garbage(self) -> None:
        """Delete run files no committed (or this transaction's) row names. Call with the
        write lock held."""
        live = {name for (name,) in self._db.execute("SELECT name FROM runs")}
        for path in self.dir.glob("*.npy"):
            if path.name.split(".", 1)[0] not in live:
                path.unlink(missing_ok=True)

    def insert(self, space: str, keys: I64, values: I64, order: I64 | None = None) -> None:
        """Add ``(key, value)`` rows as a new run (inside the caller's write transaction).

        ``order``: the permutation that sorts ``keys``, when the caller has it already.
        """
        if order is None:
            order = np.argsort(keys)
        if not order.size:  # nothing to store (``order`` may select none of ``keys``)
            return
        ordered = keys[order]
        if int(ordered[0]) < 0 or int(ordered[-1]) > _U32_MAX:
            raise ValueError("band keys must fit in 32 bits")
        self._write(space, 0, ordered.astype(np.uint32), _encode(values[order]))
        self._compact(space)

    def _compact(self, space: str) -> None:
        level = 0
        while True:
            runs = self._db.execute(
                "SELECT name, rows FROM runs WHERE space = ? AND level = ? ORDER BY name",
                (space, level),
            ).fetchall()
            # A run never grows past max_rows by merging: merging holds it in memory.
            if len(runs) < FANOUT or sum(rows for _, rows in runs) > self.max_rows:
                return
            names = [name for name, _ in runs]
            keys = np.concatenate([self._keys(n) for n in names])
            order = np.argsort(keys)
            words = np.concatenate([self._values(n) for n in names])[order]
            self._db.executemany("DELETE FROM runs WHERE name = ?", [(n,) for n in names])
            self._write(space, level + 1, keys[order], words)
            level += 1

    def lookup(self, space: str, keys: I64, limit: int | None = None) -> tuple[Found, I64]:
        """Every stored row whose key is in ``keys``, and how many rows each key has.

        With ``limit``, a key with ``limit`` rows or more yields none (a full bucket). Rows
        come run by run, in the order of ``keys`` within a run. The keys are searched
        ``_LOOKUP_CHUNK`` at a time, so that the search's own arrays stay small next to what
        it finds, whatever the batch.
        """
        counts = np.zeros(keys.size, dtype=np.int64)
        names = self._runs(space)
        queries: list[list[I64]] = [[] for _ in names]
        found: list[list[I64]] = [[] for _ in names]
        for start in range(0, keys.size, _LOOKUP_CHUNK):
            part = keys[start : start + _LOOKUP_CHUNK]
            count = counts[start : start + part.size]
            # Runs hold uint32 keys: search with the same type, so numpy never converts a run.
            outside = (part < 0) | (part > _U32_MAX)
            part = np.where(outside, 0, part).astype(np.uint32)
            order = np.argsort(part) if part.size >= _SORTED_QUERIES else None
            ordered = part if order is None else part[order]
            spans: list[tuple[I64, I64, I64]] = []
            for name in names:
                stored = self._keys(name)
                if order is None:
                    lo = np.searchsorted(stored, part, side="left")
                    hi = np.searchsorted(stored, part, side="right")
                else:
                    lo = np.empty(part.size, dtype=np.int64)
                    hi = np.empty(part.size, dtype=np.int64)
                    lo[order] = np.searchsorted(stored, ordered, side="left")
                    hi[order] = np.searchsorted(stored, ordered, side="right")
                del stored
                hi[outside] = lo[outside]
                n = hi - lo
                count += n
                sel = np.flatnonzero(n)
                spans.append((sel, lo[sel], n[sel]))
            for r, (sel, lo, n) in enumerate(spans):
                if limit is not None:
                    keep = count[sel] < limit
                    sel, lo, n = sel[keep], lo[keep], n[keep]
                if not sel.size:
                    continue
                starts = np.cumsum(n) - n
                pos = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(starts - lo, n)
                queries[r].append(np.repeat(sel + start, n))
                found[r].append(_decode(self._values(names[r])[pos]))
        query_parts = [q for run in queries for q in run]
        if not query_parts:
            empty = np.zeros(0, dtype=np.int64)
            return Found(empty, empty), counts
        values = [v for run in found for v in run]
        return Found(np.concatenate(query_parts), np.concatenate(values)), counts

    def values_of(self, space: str, keys: I64) -> Found:
        """Every stored row of ``keys``, however many (used when a bucket fills up, and for
        crowded whole-article buckets)."""
        found, _ = self.lookup(space, keys)
        return found
