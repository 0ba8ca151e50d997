"""The grouping scale bench's measuring parts: each step runs in a process of its own.

``worker_build``, ``worker_incremental`` and ``worker_baseline`` are what ``bench/grouping.py``
runs for each size (see its docstring); each returns the figures as a JSON-able dict.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.config import GroupConfig
from pipeline.document import Document
from pipeline.group import Index, group, open_index

DERIVED = ("copy", "trim", "edit", "rewrite")
SAMPLE = 2000  # articles per kind in the sampled check
GIB = 1 << 30


def mib(n: float) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


# -- measuring ------------------------------------------------------------------------------


def pin() -> int | None:
    """Run on one core (the last one allowed), so throughput is one core's."""
    try:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        return None
    return cpu


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def current_rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Clock:
    """CPU and wall seconds, accumulated over the ``timed`` blocks."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0

    def run(self, fn: Callable[[], Any]) -> Any:
        c, w = time.process_time(), time.perf_counter()
        try:
            return fn()
        finally:
            self.cpu += time.process_time() - c
            self.wall += time.perf_counter() - w


class TimedIndex:
    """The index port with the wall time spent in each of its methods counted."""

    def __init__(self, inner: Index) -> None:
        self._inner = inner
        self.seconds: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed


def dir_bytes(path: Path) -> dict[str, int]:
    """Bytes under ``path``, by top-level entry."""
    out: Counter[str] = Counter()
    for base, _, files in os.walk(path):
        top = Path(base).relative_to(path).parts[:1]
        for f in files:
            key = top[0] if top else f
            out[key] += (Path(base) / f).stat().st_size
    return dict(out)


def run_batch(index: Index, docs: list[Document], cfg: GroupConfig) -> None:
    """What ``Run.finish`` does with the state: known, group the new ones, commit."""
    known = index.known(d.id for d in docs)
    group([d for d in docs if d.id not in known], index, cfg)
    index.commit()


# -- corpus files -----------------------------------------------------------------------


def write_docs(path: Path, docs: list[Document], labels: dict[str, Any], mode: str) -> None:
    with path.open(mode, encoding="utf-8") as fh:
        for d in docs:
            lab = labels[d.id]
            row = {"id": d.id, "url": d.url, "published": d.published, "text": d.text}
            row.update(story=lab.story, kind=lab.kind, source=lab.source)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_docs(path: Path, batch: int) -> Iterator[tuple[list[Document], list[dict[str, Any]]]]:
    docs: list[Document] = []
    labels: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            docs.append(
                Document(
                    id=row["id"],
                    source=f"synthetic:{row['id']}",
                    url=row["url"],
                    text=row["text"],
                    published=row["published"],
                )
            )
            labels.append({k: row[k] for k in ("id", "story", "kind", "source")})
            if len(docs) == batch:
                yield docs, labels
                docs, labels = [], []
    if docs:
        yield docs, labels


def sample_labels(path: Path) -> list[dict[str, Any]]:
    """Up to SAMPLE articles of each kind, the same ones for every grouper."""
    taken: Counter[str] = Counter()
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            kind = row["kind"]
            if taken[kind] < SAMPLE and int(row["id"][:4], 16) % 4 == 0:
                taken[kind] += 1
                out.append({k: row[k] for k in ("id", "story", "kind", "source")})
    return out


def check(
    labels: list[dict[str, Any]], cluster: dict[str, str], size: Mapping[str, int]
) -> dict[str, float]:
    """Share of derived articles in their original's cluster, of citing articles in their
    source's (wrong), of singletons in any cluster of 2+ (wrong)."""
    out: dict[str, float] = {}
    for kind in (*DERIVED, "cite"):
        rows = [r for r in labels if r["kind"] == kind and r["source"] in cluster]
        hit = sum(cluster[r["id"]] == cluster[r["source"]] for r in rows)
        out[kind] = hit / len(rows) if rows else float("nan")
    singles = [r for r in labels if r["kind"] == "singleton"]
    out["singleton"] = sum(size[cluster[r["id"]]] > 1 for r in singles) / max(1, len(singles))
    return out


# -- workers (one process each) -----------------------------------------------------------


def _profiled(args: argparse.Namespace) -> cProfile.Profile | None:
    return cProfile.Profile() if args.profile else None


def _dump(prof: cProfile.Profile | None, path: Path) -> None:
    if prof is None:
        return
    prof.dump_stats(path.with_suffix(".prof"))
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    path.with_suffix(".txt").write_text(out.getvalue(), encoding="utf-8")


def worker_build(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from synthetic import Corpus
    from wire_model import WireModel

    cpu = pin()
    cfg = GroupConfig()
    corpus = Corpus(WireModel.load(args.wire), seed=args.seed, batch_size=args.batch)
    state = work / "state"
    shutil.rmtree(state, ignore_errors=True)
    docs_path = work / "docs.jsonl"
    docs_path.unlink(missing_ok=True)
    rss_base = current_rss()
    index = TimedIndex(open_index(str(state), cfg))
    clock = Clock()
    prof = _profiled(args)
    batches: list[tuple[int, int, float, float, float]] = []  # new, history, cpu, wall, index
    chars, n = 0, 0
    for docs in corpus.history(args.size):
        write_docs(docs_path, docs, corpus.batch_labels, "a")
        chars += sum(len(d.text) for d in docs)
        cpu0, wall0, index0 = clock.cpu, clock.wall, sum(index.seconds.values())
        if prof:
            prof.enable()
        clock.run(lambda docs=docs: run_batch(index, docs, cfg))  # type: ignore[misc]
        if prof:
            prof.disable()
        batch = (len(docs), n, clock.cpu - cpu0, clock.wall - wall0)
        batches.append((*batch, sum(index.seconds.values()) - index0))
        n += len(docs)
        rss = current_rss()
        print(
            f"    batch {len(batches)}: {len(docs):,} new on {batch[1]:,}: {batch[2]:.1f} s cpu,"
            f" {batch[3]:.1f} s wall, {mib(rss)} RSS",
            file=sys.stderr,
            flush=True,
        )
        if rss > args.max_rss_gib * GIB or clock.cpu > args.max_build_hours * 3600:
            print(f"    stopping the build at {n:,}: over a limit", file=sys.stderr)
            break
    peak = peak_rss()
    labels = sample_labels(docs_path)
    quality = check_ours(index, labels)
    index.close()
    _dump(prof, work / "profile-build")
    inc = corpus.incremental(args.incremental)
    inc_path = work / "incremental.jsonl"
    write_docs(inc_path, inc, corpus.batch_labels, "w")
    return {
        "n": n,
        "cpu": cpu,
        "cpu_s": clock.cpu,
        "wall_s": clock.wall,
        "batches": batches,
        "index_s": sum(index.seconds.values()),
        "index_calls": dict(sorted(index.seconds.items(), key=lambda x: -x[1])[:6]),
        "peak_rss": peak,
        "base_rss": rss_base,
        "state": dir_bytes(state),
        "kinds": dict(corpus.kinds),
        "chars": chars / max(1, n),
        "quality": quality,
        "incremental_kinds": dict(Counter(lab.kind for lab in corpus.batch_labels.values())),
    }


def check_ours(index: Index, labels: list[dict[str, Any]]) -> dict[str, float]:
    ids = {r["id"] for r in labels} | {r["source"] for r in labels if r["source"]}
    records = index.get_records(ids, text=False)
    cluster = {i: r.cluster_id or i for i, r in records.items()}
    members = index.members(set(cluster.values()))
    size = {c: max(1, len(m)) for c, m in members.items()}
    return check([r for r in labels if r["id"] in cluster], cluster, size)


def worker_incremental(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    cpu = pin()
    cfg = GroupConfig()
    ((docs, labels),) = list(read_docs(work / "incremental.jsonl", 10**9))
    rss_base = current_rss()
    clock = Clock()
    prof = _profiled(args)
    if prof:
        prof.enable()
    opened = Clock()
    index = TimedIndex(opened.run(lambda: open_index(str(work / "state"), cfg)))
    clock.run(lambda: run_batch(index, docs, cfg))
    if prof:
        prof.disable()
    peak = peak_rss()
    quality = check_ours(index, labels)
    index.close()
    _dump(prof, work / "profile-incremental")
    relations = Counter(d.relation or "none" for d in docs)
    return {
        "cpu": cpu,
        "open_s": opened.wall,
        "cpu_s": clock.cpu,
        "wall_s": clock.wall,
        "index_s": sum(index.seconds.values()),
        "index_calls": dict(sorted(index.seconds.items(), key=lambda x: -x[1])[:6]),
        "peak_rss": peak,
        "base_rss": rss_base,
        "relations": dict(relations),
        "quality": quality,
    }


def worker_baseline(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import re

    from datasketch import MinHash, MinHashLSH
    from datasketch.hashfunc import sha1_hash32

    cpu = pin()
    word = re.compile(r"\w+")
    perms = MinHash(num_perm=112, seed=1, scheme="affine32").permutations
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    hashes: dict[str, int] = {}

    def gram_hashes(text: str) -> npt.NDArray[np.uint64]:
        # sha1 once per distinct word, then 5-gram hashes vectorised: the same sets as
        # sha1 per gram, at a fraction of the cost.
        words = word.findall(text.lower())
        for w in set(words).difference(hashes):
            hashes[w] = sha1_hash32(w.encode())
        h = np.array(list(map(hashes.__getitem__, words)), dtype=np.uint64)
        if h.size < 5:  # a short text is one (padded) gram
            h = np.concatenate([h, np.zeros(5 - h.size, dtype=np.uint64)])
        n = h.size - 4
        g = h[:n].copy()
        with np.errstate(over="ignore"):
            for k in range(1, 5):
                g = g * np.uint64(0x100000001B3) + h[k : k + n]
        return np.unique((g ^ (g >> np.uint64(32))) & np.uint64(0xFFFFFFFF))

    def batch(docs: list[Document]) -> None:
        grams = [gram_hashes(d.text).tolist() for d in docs]
        sigs = MinHash.bulk(
            grams, num_perm=112, permutations=perms, scheme="affine32", hashfunc=int
        )
        for d, m in zip(docs, sigs, strict=True):
            parent.setdefault(d.id, d.id)
            for other in lsh.query(m):
                ra, rb = find(d.id), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            lsh.insert(d.id, m)

    rss_base = current_rss()
    clock = Clock()
    n = 0
    for docs, _ in read_docs(work / "docs.jsonl", args.batch):
        n += len(docs)
        clock.run(lambda docs=docs: batch(docs))  # type: ignore[misc]
    peak = peak_rss()
    labels = sample_labels(work / "docs.jsonl")
    cluster = {r["id"]: find(r["id"]) for r in labels}
    cluster.update({r["source"]: find(r["source"]) for r in labels if r["source"] in parent})
    size = Counter(find(x) for x in parent)
    return {
        "n": n,
        "cpu": cpu,
        "cpu_s": clock.cpu,
        "wall_s": clock.wall,
        "peak_rss": peak,
        "base_rss": rss_base,
        "quality": check(labels, cluster, size),
    }


WORKERS = {"build": worker_build, "incremental": worker_incremental, "baseline": worker_baseline}
