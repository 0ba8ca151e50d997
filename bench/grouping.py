"""Grouping at scale: history build, incremental runs and a doc-level MinHash baseline.

    .venv/bin/python bench/grouping.py [WIRE_DIR] [--sizes 10000,100000,1000000]
        [--incremental 1000] [--batch 10000] [--workdir DIR] [--profile]

For each size N, on N synthetic articles shaped like WIRE_DIR (default
../shared/data/wire-dev from the repository root; see ``bench/synthetic.py``):

1. build: the history in daily batches, each as a ``newsdedup run`` does it
   (``index.known`` -> ``group`` -> ``index.commit``) into a fresh embedded state;
   docs/s, peak RSS, state bytes per article;
2. incremental: one run of ``--incremental`` new articles (some derived from stories
   anywhere in the history) against that state: time (split into time inside the index
   port and the rest) and peak RSS;
3. baseline: document-level MinHash only over the same articles in the same batches, as
   datatrove does it by default (word 5-grams, 14 bands x 8 rows = 112 permutations),
   with datasketch ``MinHash`` (``update_batch``, scheme affine32) and ``MinHashLSH``:
   query then insert each article, clusters by union-find.

Each step runs in its own process, pinned to one core, so peak RSS is its own. Throughput
is measured in CPU time (the machine may be shared), with wall time beside it. Generating
the articles is not timed. A sampled check says how each grouper joined derived articles to
their originals, to show the workload is neither trivially easy nor trivially hard.
``--profile`` runs the build and the incremental run under cProfile instead and prints the
top costs (its times are not comparable).
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
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.config import GroupConfig  # noqa: E402
from pipeline.document import Document  # noqa: E402
from pipeline.group import Index, group, open_index  # noqa: E402

DEFAULT_WIRE = ROOT.parent / "shared" / "data" / "wire-dev"
KINDS = ("original", "copy", "trim", "edit", "rewrite", "cite", "singleton")
DERIVED = ("copy", "trim", "edit", "rewrite")
SAMPLE = 2000  # articles per kind in the sampled check
GIB = 1 << 30


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
    from synthetic import Corpus, WireModel

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


# -- orchestration and report -------------------------------------------------------------


def spawn(args: argparse.Namespace, step: str, size: int, work: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, str(args.wire), "--worker", step, "--size", str(size)]
    cmd += ["--workdir", str(work), "--batch", str(args.batch), "--seed", str(args.seed)]
    cmd += ["--incremental", str(args.incremental)] + (["--profile"] if args.profile else [])
    cmd += ["--max-rss-gib", str(args.max_rss_gib), "--max-build-hours", str(args.max_build_hours)]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{step} at {size} failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    print(f"  {step:<12} {size:>9,}  done in {result['process_s']:.0f} s", file=sys.stderr)
    return result


def mib(n: float) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def table(title: str, head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    print(f"\n{title}")
    for row in [head, *rows]:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)))


Results = dict[int, dict[str, dict[str, Any]]]


def label(results: Results, size: int) -> str:
    """The size as built: a build stopped early (a limit) has fewer articles."""
    return f"{results[size]['build']['n']:,}"


def report(args: argparse.Namespace, results: Results) -> None:
    sizes = sorted(results)
    note = " (PROFILED: times are not comparable)" if args.profile else ""
    print(f"grouping bench: {args.wire}, seed {args.seed}, batches of {args.batch:,}{note}")
    rows = []
    for s in sizes:
        b = results[s]["build"]
        k: Counter[str] = Counter(b["kinds"])
        total = sum(k.values())
        share = [f"{k[x] / total:.1%}" for x in KINDS]
        rows.append([label(results, s), *share, f"{sum(k[x] for x in DERIVED) / total:.1%}"])
        rows[-1].append(f"{b['chars']:,.0f}")
    rows.append(["wire-dev", *"19.1% 6.3% 10.6% 8.1% 17.0% 8.2% 30.6% 42.1% 3,015".split()])
    table("corpus: share of kinds", ["size", *KINDS, "derived", "chars/doc"], rows)

    rows = []
    for s in sizes:
        b = results[s]["build"]
        n, state, (last, _, cpu, _, _) = b["n"], sum(b["state"].values()), b["batches"][-1]
        by_file = " ".join(f"{k}={v / n:,.0f}" for k, v in sorted(b["state"].items()))
        rows.append(
            [f"{n:,}" + (" (stopped)" if n < s else ""), f"{n / b['cpu_s']:,.0f}"]
            + [f"{n / b['wall_s']:,.0f}", f"{last / cpu:,.0f}", f"{b['index_s']:,.0f}"]
            + [mib(b["peak_rss"]), mib(b["peak_rss"] - b["base_rss"]), mib(state)]
            + [f"{state / n:,.0f}", by_file]
        )
    head = ["size", "docs/s cpu", "docs/s wall", "last batch", "in index s", "peak RSS"]
    head += ["RSS growth", "state", "B/article", "B/article by file"]
    table("build: known -> group -> commit per batch, one core", head, rows)

    rows = []
    for s in [s for s in sizes if "baseline" in results[s]]:
        b, base = results[s]["build"], results[s]["baseline"]
        ours, theirs = b["n"] / b["cpu_s"], base["n"] / base["cpu_s"]
        rows.append([label(results, s), f"{theirs:,.0f}", f"{base['n'] / base['wall_s']:,.0f}"])
        rows[-1] += [mib(base["peak_rss"]), f"{ours:,.0f}", f"{theirs / ours:.2f}x"]
    head = ["size", "docs/s cpu", "docs/s wall", "peak RSS", "ours docs/s cpu", "our cost"]
    table("doc-level MinHash baseline (word 5-grams, 14x8, datasketch)", head, rows)

    rows = []
    for s in sizes:
        r = results[s]["incremental"]
        rows.append(
            [label(results, s)] + [f"{r[k]:.2f}" for k in ("open_s", "wall_s", "cpu_s", "index_s")]
        )
        rows[-1] += [f"{r['wall_s'] - r['index_s']:.2f}", mib(r["peak_rss"])]
        rows[-1].append(" ".join(f"{k}={v}" for k, v in sorted(r["relations"].items())))
    head = ["history", "open s", "wall s", "cpu s", "in index s", "rest s", "peak RSS"]
    table(f"incremental: {args.incremental:,} new articles", head + ["relations"], rows)
    calls = results[sizes[-1]]["incremental"]["index_calls"]
    print(
        "  index calls at",
        label(results, sizes[-1]) + ":",
        ", ".join(f"{k} {v:.2f} s" for k, v in calls.items()),
    )
    project(results, 1_000_000)

    rows = []
    for s in sizes:
        for name in [x for x in ("build", "baseline", "incremental") if x in results[s]]:
            q = results[s][name]["quality"]
            rows.append([label(results, s), name.replace("build", "ours")])
            rows[-1] += [f"{q[k]:.3f}" for k in (*DERIVED, "cite", "singleton")]
    head = ["size", "grouper", *DERIVED, "cite (wrong)", "singleton (wrong)"]
    table(f"sampled check: joined to their original (up to {SAMPLE} per kind)", head, rows)
    targets(results)


def project(results: Results, target: int) -> None:
    """Straight-line fits, to say what a size not run would cost: each build batch's CPU
    time per article against the history it met, the incremental run's wall time against
    history."""
    sizes = sorted(results)
    if sizes[-1] >= target:
        return
    batches = results[sizes[-1]]["build"]["batches"]
    if len(batches) >= 3:
        history = np.array([b[1] for b in batches], dtype=float)
        slope, icpt = np.polyfit(history, [b[2] / b[0] for b in batches], 1)
        size = batches[0][0]
        total = sum(size * (icpt + slope * h) for h in range(0, target, size))
        print(
            f"  projection to {target:,}: build = {icpt * 1e3:.2f} ms per article"
            f" + {slope * 1e9:.0f} ms per article per million of history"
            f" -> {total / 3600:.1f} h cpu ({target / total:,.0f} docs/s)"
        )
    if len(sizes) >= 2:
        wall = [results[s]["incremental"]["wall_s"] for s in sizes]
        slope, icpt = np.polyfit(np.array(sizes, dtype=float), wall, 1)
        print(f"  projection to {target:,}: incremental {icpt + slope * target:,.0f} s wall")


def targets(results: Results) -> None:
    sizes = sorted(results)
    big, first = sizes[-1], sizes[0]
    b, inc = results[big]["build"], results[big]["incremental"]
    ours = b["n"] / b["cpu_s"]
    at = label(results, big)
    rows = [["grouping >= 3,000 docs/s, one core", at, f"{ours:,.0f} docs/s cpu", ours >= 3000]]
    if "baseline" in results[big]:
        ratio = results[big]["baseline"]["n"] / results[big]["baseline"]["cpu_s"] / ours
        rows.append(["within 2x the doc-level baseline", at, f"{ratio:.2f}x", ratio <= 2])
    rows.append(["incremental <= 20 s", at, f"{inc['wall_s']:.1f} s wall", inc["wall_s"] <= 20])
    peak = inc["peak_rss"]
    rows.append(["incremental peak RSS <= 2 GiB", at, mib(peak), peak <= 2 * GIB])
    if len(sizes) > 1:
        rest = [
            results[s]["incremental"]["wall_s"] - results[s]["incremental"]["index_s"]
            for s in sizes
        ]
        index = [results[s]["incremental"]["index_s"] for s in sizes]
        grown = rest[-1] / max(rest[0], 1e-9)
        text = " -> ".join(f"{x:.1f}" for x in rest) + f" s ({grown:.2f}x; index "
        text += " -> ".join(f"{x:.1f}" for x in index) + " s)"
        rows.append(
            [
                "incremental time outside the index flat",
                f"{label(results, first)}..{at}",
                text,
                grown <= 1.5,
            ]
        )
    per = sum(b["state"].values()) / b["n"]
    rows.append(["state <= 4 KB per article", at, f"{per:,.0f} B", per <= 4000])
    table(
        "targets",
        ["target", "at", "measured", "met"],
        [[*r[:3], "yes" if r[3] else "NO"] for r in rows],
    )
    if big < 1_000_000:
        print(f"  (largest size run: {label(results, big)}; the targets name 1,000,000)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("wire", nargs="?", type=Path, default=DEFAULT_WIRE)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--incremental", type=int, default=1000, help="new articles in the run")
    ap.add_argument("--batch", type=int, default=10_000, help="articles per history batch")
    ap.add_argument("--workdir", type=Path, help="keep states and corpora here (else a temp dir)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="report sizes already in --workdir")
    ap.add_argument("--profile", action="store_true", help="cProfile build and incremental")
    ap.add_argument("--max-rss-gib", type=float, default=16, help="stop a build above this")
    ap.add_argument("--max-build-hours", type=float, default=3, help="stop a build after this")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not (args.wire / "docs.jsonl").is_file():
        print(f"no docs.jsonl under {args.wire}", file=sys.stderr)
        return 2
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args, args.workdir)))
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="grouping-bench-")
        args.workdir = Path(tmp.name)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        for size in sizes:
            work = args.workdir / f"n{size}"
            work.mkdir(parents=True, exist_ok=True)
            saved = work / "results.json"
            if args.reuse and saved.exists():
                results[size] = json.loads(saved.read_text(encoding="utf-8"))
                continue
            results[size] = {"build": spawn(args, "build", size, work)}
            results[size]["incremental"] = spawn(args, "incremental", size, work)
            if not args.no_baseline and not args.profile:
                results[size]["baseline"] = spawn(args, "baseline", size, work)
            saved.write_text(json.dumps(results[size]), encoding="utf-8")
    finally:
        if tmp is not None:
            tmp.cleanup()
    report(args, results)
    if args.profile:
        for size in sizes:
            for step in ("build", "incremental"):
                path = args.workdir / f"n{size}" / f"profile-{step}.txt"
                if path.exists():
                    print(f"\nprofile: {step} at {size:,} ({path})")
                    print(path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
