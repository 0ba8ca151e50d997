"""LSH buckets in Redis, in datasketch's own ``MinHashLSH`` Redis layout.

Each space (passages, whole articles) is a ``MinHashLSH(params=(bands, rows),
storage_config={"type": "redis", "basename": ...}, prepickle=False)``: bucket ``H`` of band
``i`` is the set ``<basename>_bucket_<i as 2 bytes><H>`` (also listed in the hash
``<basename>_bucket_<i>``), and ``<basename>_keys<key>`` lists a key's band values. ``H`` is
the band's hash values as big-endian bytes. Anyone can open the same basename with datasketch
and query it.

The writes and reads themselves are two Lua scripts over those keys rather than
``MinHashLSH.insert``/``query``: datasketch sends 2 + 2 x bands commands per key through
redis-py (measured: 400-800 passages a second) and makes one round trip per band per query,
and it cannot tell a bucket's size, which the hot-bucket rule needs. The scripts run a whole
batch per call, report bucket sizes, and leave full buckets as they are, as the embedded
adapter does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import redis
from datasketch import MinHashLSH

from pipeline.group.index import Collisions, LshEntry, distinct_rows
from pipeline.group.redis_lock import LockLost

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

_CHUNK = 1000  # keys per script call: each call blocks the server for a few milliseconds

# ARGV: lock key, lock token, bands, width, keys storage name, bucket table names..., then
# per key: key, band values (bands x width bytes), mask (one '1' per band whose bucket takes
# the key). Nothing is written unless the lock key still holds the token.
_WRITE = """
if redis.call('GET', ARGV[1]) ~= ARGV[2] then
    return redis.error_reply('NEWSDEDUP_LOCK_LOST the grouping lock is not held')
end
local b, w, kname = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
for j = 6 + b, #ARGV, 3 do
    local key, blob, mask = ARGV[j], ARGV[j + 1], ARGV[j + 2]
    local kk = kname .. key
    local hs = {}
    for i = 1, b do
        local h = string.sub(blob, (i - 1) * w + 1, i * w)
        hs[i] = h
        if string.byte(mask, i) == 49 then
            local table = ARGV[5 + i]
            redis.call('HSET', table, h, table .. h)
            redis.call('SADD', table .. h, key)
        end
    end
    redis.call('HSET', kname, key, kk)
    redis.call('DEL', kk)
    redis.call('RPUSH', kk, unpack(hs))
end
return 0
"""

# ARGV: bands, width, least, most, bucket table names..., then per signature its band values:
# the size of every bucket (signature-major), then the position and members of each bucket
# whose size is within [least, most].
_READ = """
local b, w, least, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local sizes, found = {}, {}
for j = 5 + b, #ARGV do
    local blob = ARGV[j]
    for i = 1, b do
        local key = ARGV[4 + i] .. string.sub(blob, (i - 1) * w + 1, i * w)
        local n = redis.call('SCARD', key)
        sizes[#sizes + 1] = n
        if n >= least and n <= most then
            found[#found + 1] = #sizes - 1
            found[#found + 1] = redis.call('SMEMBERS', key)
        end
    end
end
return {sizes, found}
"""

# ARGV: lock key, lock token, bands, keys storage name, bucket table names..., keys... Nothing
# is removed unless the lock key still holds the token: a writer whose lease ran out must not
# take out what the next writer put in under the same keys.
_REMOVE = """
if redis.call('GET', ARGV[1]) ~= ARGV[2] then
    return redis.error_reply('NEWSDEDUP_LOCK_LOST the grouping lock is not held')
end
local b, kname = tonumber(ARGV[3]), ARGV[4]
for j = 5 + b, #ARGV do
    local key = ARGV[j]
    local kk = kname .. key
    local hs = redis.call('LRANGE', kk, 0, -1)
    for i, h in ipairs(hs) do
        local table = ARGV[4 + i]
        redis.call('SREM', table .. h, key)
        if redis.call('SCARD', table .. h) == 0 then
            redis.call('HDEL', table, h)
        end
    end
    redis.call('DEL', kk)
    redis.call('HDEL', kname, key)
end
return 0
"""


def run_fenced(script: Any, lock: bytes, **call: Any) -> None:
    """Run a script that refuses to write, with ``NEWSDEDUP_LOCK_LOST``, unless the lock key
    ``lock`` still holds this writer's token; that refusal raises ``LockLost``."""
    try:
        script(**call)
    except redis.ResponseError as err:
        if "NEWSDEDUP_LOCK_LOST" in str(err):
            raise LockLost(lock.decode()) from None
        raise


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class LshSpace:
    """One datasketch ``MinHashLSH`` index in Redis, read and written a batch at a time."""

    def __init__(
        self,
        client: redis.Redis,
        storage: dict[str, Any],
        basename: bytes,
        num_perm: int,
        bands: int,
        rows: int,
    ) -> None:
        self.client = client
        self.bands, self.rows = bands, rows
        self.width = 4 * rows
        # datasketch names its keys; building the index touches no server.
        self.lsh = MinHashLSH(
            num_perm=num_perm,
            params=(bands, rows),
            storage_config={**storage, "basename": basename},
            prepickle=False,
        )
        self.tables: list[bytes] = [t._name for t in self.lsh.hashtables]
        self.keys_name: bytes = self.lsh.keys._name
        self._write = client.register_script(_WRITE)
        self.fence: tuple[bytes, bytes] | None = None  # (lock key, token) writes must match
        self._read = client.register_script(_READ)
        self._remove = client.register_script(_REMOVE)

    def band_values(self, signatures: U32) -> bytes:
        """Every signature's band values, as datasketch hashes them, back to back."""
        used = np.ascontiguousarray(signatures[:, : self.bands * self.rows], dtype=">u4")
        return used.tobytes()

    def write(self, keys: Sequence[bytes], signatures: U32, mask: npt.NDArray[np.bool_]) -> None:
        """Insert ``keys`` with their signatures; band ``i`` of key ``n`` goes into its bucket
        only where ``mask[n, i]``. Idempotent: rewriting a key rewrites the same entries."""
        blob = self.band_values(signatures)
        per = self.bands * self.width
        flags = np.where(mask, np.uint8(ord("1")), np.uint8(ord("0"))).astype(np.uint8)
        if self.fence is None:
            raise RuntimeError("LSH writes need the lock to check (set fence first)")
        head: list[Any] = [*self.fence, self.bands, self.width, self.keys_name, *self.tables]
        items: list[bytes] = []
        for n, key in enumerate(keys):
            items += [key, blob[n * per : (n + 1) * per], flags[n].tobytes()]
        for chunk in _chunks(items, 3 * _CHUNK):
            self._fenced(self._write, head + list(chunk))

    def read(
        self, signatures: U32, most: int, least: int = 1
    ) -> tuple[I64, dict[int, list[bytes]]]:
        """The size of each signature's bucket in each band (``n x bands``), and the members of
        those whose size is in ``[least, most]``, by position in the sizes' flat order."""
        blob = self.band_values(signatures)
        per = self.bands * self.width
        head: list[Any] = [self.bands, self.width, least, most, *self.tables]
        rows = [blob[n * per : (n + 1) * per] for n in range(signatures.shape[0])]
        sizes: list[int] = []
        members: dict[int, list[bytes]] = {}
        for chunk in _chunks(rows, _CHUNK):
            chunk_sizes, found = self._read(args=head + list(chunk))
            base = len(sizes)
            sizes += chunk_sizes
            for k in range(0, len(found), 2):
                members[base + found[k]] = found[k + 1]
        return np.array(sizes, dtype=np.int64).reshape(-1, self.bands), members

    def buckets(self, which: Sequence[tuple[int, bytes]]) -> list[list[bytes]]:
        """The members of each bucket ``(band, band value)`` of ``which``."""
        pipe = self.client.pipeline(transaction=False)
        for band, value in which:
            pipe.smembers(self.tables[band] + value)
        return [sorted(members) for members in pipe.execute()]

    def remove(self, keys: Sequence[bytes]) -> None:
        """Take ``keys`` out of every bucket (an absent key is no error)."""
        if self.fence is None:
            raise RuntimeError("LSH writes need the lock to check (set fence first)")
        head: list[Any] = [*self.fence, self.bands, self.keys_name, *self.tables]
        for chunk in _chunks(keys, _CHUNK):
            self._fenced(self._remove, head + list(chunk))

    def _fenced(self, script: Any, args: list[Any]) -> None:
        """Run a script that writes only while the lock holds the token (``fence``)."""
        assert self.fence is not None
        run_fenced(script, self.fence[0], args=args)


@dataclass(slots=True)
class _Rows:
    """A batch's LSH rows, computed once: insert and query use the same."""

    ids: list[str]
    owner: I64  # passage -> entry number
    index: I64  # passage -> its number in the article
    keys: list[bytes]  # passage keys, b"<id>:<i>"
    matrix: U32  # passage signatures
    some: list[int]  # entries with a text (an empty one matches nothing)
    documents: U32  # their document signatures
    before: I64  # passages x bands: bucket sizes before this batch


_T = TypeVar("_T", bound=tuple[Any, ...])


def _shared(rows: list[_T], least: int) -> list[_T]:
    """The collision rows (one per band shared) of pairs with at least ``least`` rows, as
    ``index.shared_bands`` keeps them."""
    if least <= 1:
        return rows
    counts = Counter(rows)
    return [r for r in rows if counts[r] >= least]


def _split(member: bytes) -> tuple[str, int]:
    id_, _, idx = member.rpartition(b":")
    return id_.decode(), int(idx)


def _yielded(
    space: LshSpace,
    signatures: U32,
    rows: list[int],
    members: dict[int, list[bytes]],
    choose: Callable[[list[list[str]]], list[list[str]]],
    article: Callable[[bytes], str],
) -> None:
    """Set ``members[r]`` for the crowded buckets ``rows`` (positions in the flat order of
    ``space.read(signatures)``) to the members of the articles ``choose`` picks among each
    bucket's (``article``: a member's article). Each bucket is read once, however many
    signatures meet it."""
    if not rows:
        return
    blob, width, bands = space.band_values(signatures), space.width, space.bands
    bucket = {r: (r % bands, blob[r * width : (r + 1) * width]) for r in rows}
    unique = sorted(set(bucket.values()))
    held = space.buckets(unique)
    firsts = choose([sorted({article(m) for m in ms}) for ms in held])
    picked: dict[tuple[int, bytes], list[bytes]] = {}
    for b, ms, first in zip(unique, held, firsts, strict=True):
        keep = set(first)
        picked[b] = [m for m in ms if article(m) in keep]
    for r in rows:
        members[r] = picked[bucket[r]]


class RedisLsh:
    """Both LSH spaces, with the embedded adapter's hot-bucket rule.

    A passage bucket holding ``hot_bucket`` keys or more is full: it takes no more keys and
    yields the passages of the articles ``earliest`` (given to ``query``) chooses, up to
    ``hot_bucket`` of the batch's and as many of the others. An article enters a bucket once.
    A pair is reported only when it shares ``min_bands`` (passages, documents) bands or more.
    A whole-article bucket holding more than ``doc_cap`` articles yields the ``doc_cap`` ones
    ``earliest`` chooses.
    """

    def __init__(
        self,
        passages: LshSpace,
        documents: LshSpace,
        hot_bucket: int,
        min_bands: tuple[int, int] = (1, 1),
        doc_cap: int = np.iinfo(np.int64).max,
    ) -> None:
        self.passages = passages
        self.documents = documents
        self.hot = hot_bucket
        self.min_bands = min_bands
        self.doc_cap = doc_cap
        self._rows: _Rows | None = None

    def forget(self) -> None:
        self._rows = None

    def _batch(self, entries: Sequence[LshEntry]) -> _Rows:
        ids = [e.id for e in entries]
        if self._rows is not None and self._rows.ids == ids:
            return self._rows
        num_perm = self.passages.lsh.h
        counts = np.array([e.passages.shape[0] for e in entries], dtype=np.int64)
        matrix = (
            np.concatenate([e.passages for e in entries]).astype(np.uint32).reshape(-1, num_perm)
            if entries
            else np.zeros((0, num_perm), dtype=np.uint32)
        )
        owner = np.repeat(np.arange(len(entries), dtype=np.int64), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        index = np.arange(owner.size, dtype=np.int64) - first
        keys = [
            b"%s:%d" % (ids[o].encode(), i)
            for o, i in zip(owner.tolist(), index.tolist(), strict=True)
        ]
        some = [n for n, e in enumerate(entries) if e.text_hash]
        docs = np.array([entries[n].document for n in some], dtype=np.uint32)
        rows = _Rows(
            ids,
            owner,
            index,
            keys,
            matrix,
            some,
            docs.reshape(len(some), num_perm),
            np.zeros((0, self.passages.bands), dtype=np.int64),
        )
        self._rows = rows
        return rows

    def insert(self, entries: Sequence[LshEntry]) -> None:
        rows = self._batch(entries)
        rows.before, _ = self.passages.read(rows.matrix, most=0)
        # A full bucket takes no more keys, so that what it yields stays small. An article
        # enters a bucket once, by its first passage there: a bucket counts articles.
        self.passages.write(rows.keys, rows.matrix, (rows.before < self.hot) & self._first(rows))
        doc_keys = [rows.ids[n].encode() for n in rows.some]
        everywhere = np.ones((len(doc_keys), self.documents.bands), dtype=bool)
        self.documents.write(doc_keys, rows.documents, everywhere)

    def _first(self, rows: _Rows) -> npt.NDArray[np.bool_]:
        """For each passage and band: whether no earlier passage of its article has the same
        band values."""
        width = self.passages.rows
        first = np.zeros((rows.matrix.shape[0], self.passages.bands), dtype=bool)
        for band in range(self.passages.bands):
            values = rows.matrix[:, band * width : (band + 1) * width].astype(np.int64)
            where, _ = distinct_rows(np.column_stack([rows.owner, values]))
            first[where, band] = True
        return first

    def remove(self, passages: Mapping[str, int]) -> None:
        """Take articles out of both spaces, ``id -> number of passages``."""
        keys = [b"%s:%d" % (i.encode(), n) for i, k in passages.items() for n in range(k)]
        self.passages.remove(keys)
        self.documents.remove([i.encode() for i in passages])

    def query(
        self,
        entries: Sequence[LshEntry],
        exact: Mapping[int, list[str]],
        earliest: Callable[[list[list[str]], int], list[list[str]]] | None = None,
    ) -> Collisions:
        """Collisions of the entries of the last ``insert``; ``exact``: entry number -> other
        articles with the same text; ``earliest(buckets, most)``: for the articles of each
        full passage bucket or crowded whole-article bucket, those it yields (by default, the
        first ``most`` by id)."""

        def choose(buckets: list[list[str]], most: int) -> list[list[str]]:
            if earliest:
                return earliest(buckets, most)
            return [sorted(names)[:most] for names in buckets]

        rows = self._batch(entries)
        ids = list(rows.ids)
        pos = {id_: n for n, id_ in enumerate(ids)}
        bands = self.passages.bands
        # Batch passages with the same signature (a line on every page of a site, the
        # sentences of a story's copies) meet the same buckets: each distinct one is read once
        # (``Collisions.pairs`` hands what it finds to each).
        first_row, same = distinct_rows(rows.matrix)
        distinct = rows.matrix[first_row]
        # Every bucket holds the batch passage itself: only one of 2 or more can collide.
        sizes, members = self.passages.read(distinct, most=self.hot - 1, least=2)
        full = ((sizes >= self.hot) | (rows.before[first_row] >= self.hot)).ravel()
        # A full bucket yields the passages of its earliest articles.
        _yielded(
            self.passages,
            distinct,
            np.flatnonzero(full).tolist(),
            members,
            lambda buckets: choose(buckets, self.hot),
            lambda m: _split(m)[0],
        )
        found_rows: list[tuple[int, str, int]] = []
        for r, in_bucket in members.items():
            found_rows += [(r // bands, *_split(m)) for m in in_bucket]
        shared = sorted(set(_shared(found_rows, self.min_bands[0])))
        doc_bands = self.documents.bands
        # Articles with the same document signature (copies of one text) meet the same
        # buckets: each distinct signature is read once, and what it finds is handed to each.
        # A crowded whole-article bucket yields doc_cap of its articles, as in the embedded
        # adapter; each is read once, however many articles meet it.
        dfirst, dsame = distinct_rows(rows.documents)
        signatures = rows.documents[dfirst]
        dsizes, dmembers = self.documents.read(signatures, most=self.doc_cap, least=2)
        _yielded(
            self.documents,
            signatures,
            np.flatnonzero(dsizes.ravel() > self.doc_cap).tolist(),
            dmembers,
            lambda buckets: choose(buckets, self.doc_cap),
            bytes.decode,
        )
        found_docs: list[tuple[int, str]] = []
        for r, found in dmembers.items():
            found_docs += [(r // doc_bands, m.decode()) for m in found]
        # The articles each distinct signature meets in doc_min_bands bands or more, once.
        met: dict[int, list[str]] = {}
        for u, m in dict.fromkeys(_shared(found_docs, self.min_bands[1])):
            met.setdefault(u, []).append(m)
        doc_rows = [
            (n, m)
            for n, u in zip(rows.some, dsame.tolist(), strict=True)
            for m in met.get(u, [])
            if m != ids[n]
        ]
        doc_mine = [n for n, _ in doc_rows]
        doc_other = [o for _, o in doc_rows]
        exact_mine = [n for n, others in sorted(exact.items()) for _ in others]
        exact_other = [o for _, others in sorted(exact.items()) for o in others]
        # Name every other article after the batch's own.
        other = [oid for _, oid, _ in shared]
        named = {*other, *doc_other, *exact_other}
        for id_ in sorted(named - pos.keys()):
            pos[id_] = len(ids)
            ids.append(id_)

        def at(names: Iterable[str]) -> I64:
            return np.array([pos[x] for x in names], dtype=np.int64)

        def arr(values: Iterable[int]) -> I64:
            return np.array(list(values), dtype=np.int64)

        return Collisions(
            ids,
            found=arr(u for u, _, _ in shared),
            other=at(other),
            other_passage=arr(oi for _, _, oi in shared),
            batch_group=same,
            batch_article=rows.owner,
            batch_passage=rows.index,
            doc_mine=arr(doc_mine),
            doc_other=at(doc_other),
            exact_mine=arr(exact_mine),
            exact_other=at(exact_other),
        )
