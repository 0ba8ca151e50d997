"""The Redis index adapter: many processes, on any number of hosts, share one grouping state.

Keys, all under ``newsdedup:``::

    meta               hash: the fingerprint the state was built with, and its id
    doc:<id>           hash: one article (``DocRecord``'s fields, the text zlib-compressed)
    members:<cluster>  set: the ids assigned to a cluster
    text:<text hash>   sorted set, every score 0 (so ordered by id): articles with that text
    evidence           hash: "<a> <b>" -> packed evidence (as the embedded adapter packs it)
    links:<id>         set: the evidence fields naming an article
    pending            hash: id -> passages, for LSH entries of a run that has not committed
    lock               the write lock (``redis_lock``)
    seen               set: URLs crawls emitted (``pipeline.redis_seen``)
    lsh:...            the two datasketch LSH indexes (``redis_lsh``)

One writer at a time. A run takes the lock at its first write, or at ``known`` (the question a
writer asks before grouping: its answer must hold until the commit), and ``commit`` or
``rollback`` gives it back. Grouping therefore runs as if the writers' batches had come one
after another, and since grouping does not depend on how articles are split into batches,
several processes end with the clusters one process would make. Fetching, extraction and
cleaning, the bulk of the work, run in parallel; only grouping and the commit wait in turn.

LSH entries are written at once (a batch queries after inserting), listed in ``pending``
first: when their writer dies before committing, the next writer removes them. Those writes,
like the LSH entries', are made only while the lock holds the writer's token (one script
checks and writes), so a writer that stalled past its lease cannot touch the next one's.
Everything else is buffered in memory (reads see it) and written at commit in one MULTI/EXEC
under WATCH of the lock, so a writer whose lease ran out commits nothing.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import redis

from pipeline.config import GroupConfig
from pipeline.errors import NewsdedupError
from pipeline.group.clusters import order_key
from pipeline.group.index import (
    SCHEMA_VERSION,
    U8,
    U16,
    Collisions,
    DocRecord,
    LshEntry,
    TextOnSite,
    earliest_of_each,
    fingerprint,
    leaving_out,
)
from pipeline.group.links import Evidence
from pipeline.group.redis_connect import connect
from pipeline.group.redis_lock import LockLost, RedisLock
from pipeline.group.redis_lsh import LshSpace, RedisLsh, run_fenced
from pipeline.group.sqlite_index import _pack_evidence, _unpack_evidence

log = logging.getLogger(__name__)

PREFIX = b"newsdedup:"
META, EVIDENCE, PENDING, LOCK, RUNS = (
    PREFIX + k for k in (b"meta", b"evidence", b"pending", b"lock", b"saved_runs")
)
# KEYS: lock, pending; ARGV: token, "set" or "del", then id and count pairs, or ids.
_PENDING = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('NEWSDEDUP_LOCK_LOST the grouping lock is not held')
end
if ARGV[2] == 'set' then
    for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
else
    for i = 3, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 0
"""
_PENDING_CHUNK = 2000

LOCK_TTL = 30.0  # seconds a dead writer keeps others waiting
# A commit is one transaction on the watched lease, which cannot be renewed while it is sent:
# its lease is extended first by the time its writes take to send at this rate (bytes/s).
COMMIT_RATE = 64 * 1024
_OPTIONAL = (b"published", b"site", b"cluster_id", b"parent", b"relation")
_FIELDS = (b"length", b"text_hash", b"df", b"sketch", *_OPTIONAL)


def basename(cfg: GroupConfig, space: str) -> bytes:
    """A datasketch basename naming everything that shapes the space's band values."""
    if space == "passage":
        layout = f"b{cfg.passage_bands}x{cfg.passage_rows}:min{cfg.passage_min_chars}"
    else:
        layout = f"b{cfg.doc_bands}x{cfg.doc_rows}"
    name = f"lsh:v{SCHEMA_VERSION}:{space}:p{cfg.num_perm}:{layout}:{cfg.scheme}:seed{cfg.seed}"
    return PREFIX + f"{name}:k{cfg.shingle_chars}".encode()


def _text(value: bytes | str | None) -> str | None:
    """A reply as text (replies are bytes: the client does not decode)."""
    return value.decode() if isinstance(value, bytes) else value


def _doc(id_: str) -> bytes:
    return PREFIX + b"doc:" + id_.encode()


def _encode(r: DocRecord) -> dict[bytes, bytes]:
    fields = {
        b"length": str(r.length).encode(),
        b"text_hash": r.text_hash,
        b"text": zlib.compress(r.text.encode("utf-8"), 1),
        b"df": r.df.astype("<u2").tobytes(),
        b"sketch": r.sketch.astype(np.uint8).tobytes(),
    }
    optional = (
        repr(r.published) if r.published is not None else None,
        r.site,
        r.cluster_id,
        r.parent,
        r.relation,
    )
    for name, value in zip(_OPTIONAL, optional, strict=True):
        if value is not None:
            fields[name] = value.encode()
    return fields


def _decode(id_: str, f: Mapping[bytes, bytes | None], num_perm: int) -> DocRecord:
    def text_of(name: bytes) -> str | None:
        value = f.get(name)
        return value.decode() if value is not None else None

    published, text = f.get(b"published"), f.get(b"text")
    return DocRecord(
        id=id_,
        published=float(published) if published is not None else None,
        length=int(f[b"length"] or 0),
        site=text_of(b"site"),
        text_hash=f[b"text_hash"] or b"",
        text=zlib.decompress(text).decode("utf-8") if text is not None else "",
        df=np.frombuffer(f[b"df"] or b"", dtype="<u2").astype(np.uint16),
        sketch=np.frombuffer(f[b"sketch"] or b"", dtype=np.uint8).reshape(-1, num_perm),
        cluster_id=text_of(b"cluster_id"),
        parent=text_of(b"parent"),
        relation=text_of(b"relation"),
    )


class RedisIndex:
    """The ``Index`` port on a Redis server (``redis://HOST:PORT/DB``)."""

    def __init__(self, url: str, cfg: GroupConfig, lock_ttl: float = LOCK_TTL) -> None:
        self.cfg = cfg
        self.client, kwargs, self.where = connect(url)
        storage = {"type": "redis", "redis": kwargs}
        passages = LshSpace(
            self.client,
            storage,
            basename(cfg, "passage"),
            cfg.num_perm,
            cfg.passage_bands,
            cfg.passage_rows,
        )
        documents = LshSpace(
            self.client,
            storage,
            basename(cfg, "document"),
            cfg.num_perm,
            cfg.doc_bands,
            cfg.doc_rows,
        )
        self.lsh = RedisLsh(
            passages,
            documents,
            cfg.hot_bucket,
            (cfg.passage_min_bands, cfg.doc_min_bands),
            cfg.doc_bucket_cap,
        )
        self.lock = RedisLock(self.client, LOCK, lock_ttl)
        # Every LSH write checks, in the same script, that this run still holds the lease: a
        # run that stalled past it must not add entries under the next writer's feet.
        passages.fence = documents.fence = (LOCK, self.lock.token)
        self._pending_script = self.client.register_script(_PENDING)
        self._silent = False  # the server stopped answering (a socket timeout)
        self._reset()
        with self._guard():
            self._check_fingerprint()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Redis errors as one clear line."""
        try:
            yield
        except (LockLost, redis.WatchError):
            raise NewsdedupError(
                f"the grouping lock in Redis at {self.where} ran out while this run held it "
                f"(no renewal for {self.lock.ttl_ms / 1000:.0f} s); nothing was committed: "
                "run again"
            ) from None
        except (redis.ConnectionError, redis.TimeoutError) as err:
            # A server that stopped answering would keep the clean-up waiting a socket
            # timeout per call: leave that to the next writer (see ``_begin``).
            self._silent = self._silent or isinstance(err, redis.TimeoutError)
            raise NewsdedupError(f"lost the connection to Redis at {self.where}: {err}") from None
        except redis.RedisError as err:
            raise NewsdedupError(f"Redis at {self.where} refused a command: {err}") from None

    def _check_fingerprint(self, claim: bool = False) -> None:
        """Refuse a state built with other settings. ``claim``: a writer records this run's
        settings in a fresh state first (a reader, ``explain``, leaves the database as it is)."""
        mine = json.dumps(fingerprint(self.cfg), sort_keys=True)
        if claim:
            self.client.hsetnx(META, "fingerprint", mine)
        stored = _text(self.client.hget(META, "fingerprint"))
        if stored is not None and stored != mine:
            raise NewsdedupError(
                f"grouping state in Redis at {self.where} was built with other signature "
                f"settings ({stored}); use another database for these ({mine})"
            )

    def _reset(self) -> None:
        self._created: dict[str, dict[bytes, bytes]] = {}
        self._changed: dict[str, dict[bytes, bytes | None]] = {}
        self._cluster: dict[str, str | None] = {}  # staged cluster of every id staged
        self._was: dict[str, str | None] = {}  # committed cluster of stored ids staged
        self._by_hash: dict[bytes, set[str]] = defaultdict(set)
        self._evidence: dict[bytes, bytes] = {}
        self._links: dict[str, set[bytes]] = defaultdict(set)
        self._pending: dict[str, int] = {}
        self._runs: list[str] = []
        self._unsettled = False  # a commit whose outcome is unknown
        if hasattr(self, "lsh"):
            self.lsh.forget()

    # -- transactions -------------------------------------------------------------------

    def _begin(self) -> None:
        """Take the write lock (waiting for it), then clean up after a writer that died."""
        if self.lock.held:
            if self.lock.lost:
                raise LockLost(LOCK.decode())
            return
        self.lock.acquire()
        self._check_fingerprint(claim=True)
        pending = self.client.hgetall(PENDING)
        if pending:
            counts = {str(_text(k)): int(v) for k, v in pending.items()}
            stored = self._exists(counts)
            stale = {i: n for i, n in counts.items() if i not in stored}
            log.warning("removing LSH entries of %d articles left by a run that failed", len(stale))
            self.lsh.remove(stale)
            self._unlist(list(pending))

    def _list(self, counts: Mapping[str, int]) -> None:
        """Add to ``pending``, while the lock is this run's."""
        pairs = [v for id_, n in counts.items() for v in (id_, n)]
        for i in range(0, len(pairs), 2 * _PENDING_CHUNK):
            self._fenced_pending(["set", *pairs[i : i + 2 * _PENDING_CHUNK]])

    def _unlist(self, ids: Sequence[str | bytes]) -> None:
        """Take ids out of ``pending``, while the lock is this run's."""
        for i in range(0, len(ids), _PENDING_CHUNK):
            self._fenced_pending(["del", *ids[i : i + _PENDING_CHUNK]])

    def _fenced_pending(self, args: list[str | bytes | int]) -> None:
        run_fenced(self._pending_script, LOCK, keys=[LOCK, PENDING], args=[self.lock.token, *args])

    def commit(self) -> None:
        if not self.lock.held:  # every write takes the lock: nothing to write
            self._reset()
            return
        with self._guard(), self.lock.mutex:
            # (the records and evidence alone; the rest of the transaction adds some 15%)
            lease_ms = int(1000 * 1.25 * self._write_bytes() / COMMIT_RATE) + self.lock.ttl_ms
            self.lock.renew(lease_ms)
            started = time.monotonic()
            try:
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.watch(LOCK)  # type: ignore[no-untyped-call]
                    if pipe.get(LOCK) != self.lock.token:
                        raise LockLost(LOCK.decode())
                    pipe.multi()
                    self._queue_writes(pipe)
                    pipe.execute()
            except (redis.WatchError, redis.ConnectionError, redis.TimeoutError) as err:
                # The connection may have dropped after the server applied the transaction
                # (redis-py then reports a WatchError): ask the server before undoing anything.
                if not self._landed():
                    took = time.monotonic() - started
                    if took * 1000 < lease_ms:
                        if isinstance(err, redis.WatchError) and self.lock.owned():
                            # the lease holds: a dropped connection, not a lost lock
                            raise redis.ConnectionError(str(err)) from None
                        raise
                    raise NewsdedupError(
                        f"saving to Redis at {self.where} took {took:.0f} s, longer than its "
                        f"lease ({lease_ms / 1000:.0f} s, sized for a link of "
                        f"{COMMIT_RATE // 1024} KiB/s or faster): nothing was committed; run "
                        "again with fewer inputs at a time, or nearer to Redis"
                    ) from None
                log.info("the commit's reply was lost; Redis at %s has it", self.where)
        try:
            self.lock.release()
        except redis.RedisError as err:
            # Committed all the same: the lease runs out by itself.
            log.warning("could not release the grouping lock in Redis at %s: %s", self.where, err)
            self.lock.abandon()
        self._reset()

    def _write_bytes(self) -> int:
        """About what the commit sends: the records' and the evidence's bytes."""
        size = sum(len(v) for fields in self._created.values() for v in fields.values())
        size += sum(len(v or b"") for fields in self._changed.values() for v in fields.values())
        return size + sum(len(v) for v in self._evidence.values())

    def _landed(self) -> bool:
        """Whether the server applied this run's commit, whose reply was lost. The run id it
        records tells for sure; without one, a record the commit created."""
        try:
            if self._runs:
                return bool(self.client.sismember(RUNS, self._runs[-1]))
            if self._created:
                return bool(self.client.exists(_doc(next(iter(self._created)))))
            return False
        except redis.RedisError as err:
            # Neither undo (it may have been applied) nor claim it: the next run settles it.
            self._unsettled = True
            raise NewsdedupError(
                f"lost the connection to Redis at {self.where} while committing ({err}): this "
                "run may or may not be saved; the next run settles it and publishes its "
                "files if it was"
            ) from None

    def _queue_writes(self, pipe: redis.client.Pipeline) -> None:
        for id_, fields in self._created.items():
            pipe.hset(_doc(id_), mapping=fields)  # type: ignore[arg-type]
            if fields[b"text_hash"]:
                pipe.zadd(PREFIX + b"text:" + fields[b"text_hash"], {id_: 0})
            if self._cluster[id_] is not None:
                pipe.sadd(PREFIX + b"members:" + str(self._cluster[id_]).encode(), id_)
        for id_, changes in self._changed.items():
            sets = {k: v for k, v in changes.items() if v is not None}
            gone = [k for k, v in changes.items() if v is None]
            if sets:
                pipe.hset(_doc(id_), mapping=sets)  # type: ignore[arg-type]
            if gone:
                pipe.hdel(_doc(id_), *gone)
        for id_, old in self._was.items():
            new = self._cluster[id_]
            if old != new:
                if old is not None:
                    pipe.srem(PREFIX + b"members:" + old.encode(), id_)
                if new is not None:
                    pipe.sadd(PREFIX + b"members:" + new.encode(), id_)
        if self._evidence:
            pipe.hset(EVIDENCE, mapping=self._evidence)  # type: ignore[arg-type]
        for id_, links in self._links.items():
            pipe.sadd(PREFIX + b"links:" + id_.encode(), *links)
        if self._pending:
            pipe.hdel(PENDING, *self._pending)
        if self._runs:
            pipe.sadd(RUNS, *self._runs)

    def rollback(self) -> None:
        if self._unsettled or self._silent:
            # A commit of unknown outcome: what it added stays; the next writer keeps it or
            # removes it, as the state says (see ``_begin``). Likewise after a server that
            # stopped answering.
            self.lock.abandon()
        if self.lock.held:
            try:
                if self._pending and self.lock.owned():
                    self.lsh.remove(self._pending)
                    self._unlist(list(self._pending))
                self.lock.release()
            except (redis.RedisError, LockLost) as err:
                # The run's own error says what happened; this is only the clean-up. (With
                # the lease gone, the next writer has removed them, or will.)
                log.info(
                    "could not remove this run's LSH entries from Redis at %s (%s); "
                    "the next run removes them",
                    self.where,
                    err or "the grouping lock ran out",
                )
                self.lock.abandon()
        self._reset()

    def close(self) -> None:
        self.rollback()
        self.client.close()

    # -- records ------------------------------------------------------------------------

    def _exists(self, ids: Iterable[str]) -> set[str]:
        wanted = list(ids)
        pipe = self.client.pipeline(transaction=False)
        for i in wanted:
            pipe.exists(_doc(i))
        return {i for i, n in zip(wanted, pipe.execute(), strict=True) if n}

    def first_stored(self, text_hashes: Iterable[bytes]) -> dict[TextOnSite, str]:
        wanted = sorted(set(text_hashes))
        with self._guard():
            pipe = self.client.pipeline(transaction=False)
            for text_hash in wanted:
                # The sets list committed articles only; this batch's join them at commit.
                pipe.zrange(PREFIX + b"text:" + text_hash, 0, -1)
            found = pipe.execute()
        members = sorted({i.decode() for ids in found for i in ids})
        out: dict[TextOnSite, str] = {}
        for id_, f in self._fields(members, (b"text_hash", b"sketch", b"site")):
            site = f[b"site"]
            key = (
                f[b"text_hash"] or b"",
                f[b"sketch"] or b"",
                site.decode() if site is not None else None,
            )
            if key not in out:  # members in id order: the first is the smallest
                out[key] = id_
        return out

    def known(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        with self._guard():
            self._begin()
            stored = self._exists(i for i in wanted if i not in self._created)
        return {i for i in wanted if i in self._created or i in stored}

    def record_run(self, run_id: str) -> None:
        with self._guard():
            self._begin()
        self._runs.append(run_id)

    def recorded_runs(self, run_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(run_ids))
        if not wanted:
            return set()
        with self._guard():
            found = self.client.smismember(RUNS, wanted)
        return {r for r, yes in zip(wanted, found, strict=True) if yes}

    def state_id(self) -> str:
        with self._guard():
            # HSETNX: two processes asking at once keep the first id
            self.client.hsetnx(META, "state_id", secrets.token_hex(8))
            return str(_text(self.client.hget(META, "state_id")))

    def put_records(self, records: Sequence[DocRecord]) -> None:
        with self._guard():
            self._begin()
        for r in records:
            self._created[r.id] = _encode(r)
            self._cluster[r.id] = r.cluster_id
            self._by_hash[r.text_hash].add(r.id)

    def _fields(
        self, ids: Sequence[str], names: Sequence[bytes]
    ) -> Iterator[tuple[str, dict[bytes, bytes | None]]]:
        """Stored fields of ``ids`` with this run's writes applied; absent articles left out."""
        stored = [i for i in ids if i not in self._created]
        with self._guard():
            pipe = self.client.pipeline(transaction=False)
            for i in stored:
                pipe.hmget(_doc(i), list(names))
            rows = dict(zip(stored, pipe.execute(), strict=True))
        for i in ids:
            if i in self._created:
                yield i, dict(self._created[i])
            elif rows[i][0] is not None:
                fields = dict(zip(names, rows[i], strict=True))
                fields.update(self._changed.get(i, {}))
                yield i, fields

    def get_records(self, ids: Iterable[str], text: bool = True) -> dict[str, DocRecord]:
        names = (*_FIELDS, b"text") if text else _FIELDS
        out = {}
        for i, fields in self._fields(sorted(set(ids)), names):
            if not text:
                fields.pop(b"text", None)
            out[i] = _decode(i, fields, self.cfg.num_perm)
        return out

    def sketches(self, ids: Iterable[str]) -> dict[str, U8]:
        return {
            i: np.frombuffer(f[b"sketch"] or b"", dtype=np.uint8).reshape(-1, self.cfg.num_perm)
            for i, f in self._fields(sorted(set(ids)), (b"sketch",))
        }

    def _stage(self, id_: str, changes: Mapping[bytes, bytes | None]) -> None:
        created = self._created.get(id_)
        if created is None:
            self._changed.setdefault(id_, {}).update(changes)
            return
        for k, v in changes.items():
            if v is None:
                created.pop(k, None)
            else:
                created[k] = v

    def set_df(self, df: Mapping[str, U16]) -> None:
        with self._guard():
            self._begin()
        for id_, v in df.items():
            self._stage(id_, {b"df": v.astype("<u2").tobytes()})

    def set_assignments(
        self, assignments: Mapping[str, tuple[str, str | None, str | None]]
    ) -> None:
        unseen = [i for i in assignments if i not in self._cluster]
        with self._guard():
            self._begin()
            pipe = self.client.pipeline(transaction=False)
            for i in unseen:
                pipe.hget(_doc(i), "cluster_id")
            for i, c in zip(unseen, pipe.execute(), strict=True):
                self._cluster[i] = self._was[i] = c.decode() if c is not None else None
        for id_, (cluster, parent, relation) in assignments.items():
            values = (cluster, parent, relation)
            self._stage(
                id_,
                {
                    k: v.encode() if v is not None else None
                    for k, v in zip((b"cluster_id", b"parent", b"relation"), values, strict=True)
                },
            )
            self._cluster[id_] = cluster

    def members(self, cluster_ids: Iterable[str]) -> dict[str, list[str]]:
        wanted = sorted(set(cluster_ids))
        with self._guard():
            pipe = self.client.pipeline(transaction=False)
            for c in wanted:
                pipe.smembers(PREFIX + b"members:" + c.encode())
            stored = pipe.execute()
        out = {
            c: {m.decode() for m in ms} - self._cluster.keys()
            for c, ms in zip(wanted, stored, strict=True)
        }
        for id_, cid in self._cluster.items():
            if cid is not None and cid in out:
                out[cid].add(id_)
        return {c: sorted(v) for c, v in out.items()}

    # -- evidence -----------------------------------------------------------------------

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        with self._guard():
            self._begin()
        for ev in evidence:
            field = f"{ev.a} {ev.b}".encode()
            self._evidence[field] = _pack_evidence(ev)
            self._links[ev.a].add(field)
            self._links[ev.b].add(field)

    def evidence_of(self, ids: Iterable[str]) -> list[Evidence]:
        wanted = sorted(set(ids))
        with self._guard():
            pipe = self.client.pipeline(transaction=False)
            for i in wanted:
                pipe.smembers(PREFIX + b"links:" + i.encode())
            fields: set[bytes] = set().union(*pipe.execute()) if wanted else set()
            for i in wanted:
                fields |= self._links.get(i, set())
            ordered = sorted(fields)
            missing = [f for f in ordered if f not in self._evidence]
            blobs = self.client.hmget(EVIDENCE, missing) if missing else []
            stored = dict(zip(missing, blobs, strict=True))
        out = []
        for f in ordered:
            blob = self._evidence.get(f) or stored.get(f)
            if isinstance(blob, bytes):
                a, b = f.decode().split(" ")
                out.append(_unpack_evidence(a, b, blob))
        return out

    # -- LSH ----------------------------------------------------------------------------

    def insert_lsh(self, entries: Sequence[LshEntry]) -> None:
        with self._guard():
            self._begin()
            counts = {e.id: int(e.passages.shape[0]) for e in entries}
            if not counts:
                return
            # Listed before written: a run that dies from here on leaves nothing unlisted.
            self._list(counts)
            self._pending.update(counts)
            self.lsh.insert(entries)

    def query_lsh(self, entries: Sequence[LshEntry]) -> Collisions:
        hashed = [(n, e) for n, e in enumerate(entries) if e.text_hash]
        with self._guard():
            self._begin()
            pipe = self.client.pipeline(transaction=False)
            for _, e in hashed:
                # One more than needed: the article itself may be among them.
                pipe.zrange(
                    PREFIX + b"text:" + e.text_hash,
                    b"-",
                    b"+",
                    bylex=True,
                    offset=0,
                    num=self.cfg.hot_bucket + 1,
                )
            stored = pipe.execute()
            # Identical texts, however many: the first hot_bucket by id are enough to join them.
            exact = {}
            for (n, e), ids in zip(hashed, stored, strict=True):
                same = ({i.decode() for i in ids} | self._by_hash.get(e.text_hash, set())) - {e.id}
                if same:
                    exact[n] = sorted(same)[: self.cfg.hot_bucket]
            found = self.lsh.query(entries, exact, self._earliest)
            return self._stored_only(found, len(entries))

    def _earliest(self, buckets: list[list[str]], most: int) -> list[list[str]]:
        """For each bucket's ids: the ``most`` first in the canonical order among this batch's
        articles, and the ``most`` first among the others (articles without a record left
        out), as the embedded adapter chooses them. One read for all the buckets."""
        key = {}
        every = sorted({i for ids in buckets for i in ids})
        for id_, f in self._fields(every, (b"length", b"published")):
            published = f.get(b"published")
            key[id_] = order_key(
                id_, float(published) if published is not None else None, int(f[b"length"] or 0)
            )
        return [
            earliest_of_each([i for i in ids if i in key], key, self._created, most)
            for ids in buckets
        ]

    def _stored_only(self, found: Collisions, batch: int) -> Collisions:
        """Leave out articles the LSH names but no record backs: Redis evicted them (a
        ``maxmemory`` policy) or they were lost some other way. Grouping cannot compare them;
        the next run of their own could not either, so they are named in a warning."""
        earlier = [i for i in found.ids[batch:] if i not in self._created]
        stored = self._exists(earlier)
        gone = np.array(
            [False] * batch
            + [i not in stored and i not in self._created for i in found.ids[batch:]],
            dtype=bool,
        )
        if gone.any():
            missing = [i for i, g in zip(found.ids, gone.tolist(), strict=True) if g]
            log.warning(
                "Redis at %s lists %d articles in its LSH index without their records (evicted? "
                "keep maxmemory-policy noeviction): left out of grouping, e.g. %s",
                self.where,
                len(missing),
                ", ".join(missing[:3]),
            )
        return leaving_out(found, gone)
