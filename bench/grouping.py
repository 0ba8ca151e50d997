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
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from grouping_workers import DERIVED, GIB, SAMPLE, WORKERS, mib  # noqa: E402

DEFAULT_WIRE = ROOT.parent / "shared" / "data" / "wire-dev"
KINDS = ("original", "copy", "trim", "edit", "rewrite", "cite", "singleton")


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
        # The last batch of at least half the batch size: a short remainder says little.
        full = [x for x in b["batches"] if x[0] * 2 >= args.batch] or b["batches"]
        n, state, (last, _, cpu, _, _) = b["n"], sum(b["state"].values()), full[-1]
        by_file = " ".join(f"{k}={v / n:,.0f}" for k, v in sorted(b["state"].items()))
        rows.append(
            [f"{n:,}" + (" (stopped)" if n < s else ""), f"{n / b['cpu_s']:,.0f}"]
            + [f"{n / b['wall_s']:,.0f}", f"{last / cpu:,.0f}", f"{b['index_s']:,.0f}"]
            + [mib(b["peak_rss"]), mib(b["peak_rss"] - b["base_rss"]), mib(state)]
            + [f"{state / n:,.0f}", by_file]
        )
    head = ["size", "docs/s cpu", "docs/s wall", "last full batch", "in index s", "peak RSS"]
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
