"""End-to-end throughput: ``newsdedup run`` with 1 and 2 workers vs bare trafilatura.

    python bench/throughput.py [--wcxb DIR] [--wire DIR] [--files N]

Builds a directory of N real HTML pages (the WCXB dev pages and the wire-dev pages, repeated
with a marker comment so repeats are distinct files), then runs, in this order and in the same
process tree: bare ``trafilatura.extract`` over every file in one process, and ``newsdedup run``
with ``--workers 1`` and ``--workers 2`` (fresh output and state each). Prints pages/second and
peak RSS (the whole process tree, sampled every 50 ms) for each, and the ratio to bare
trafilatura.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

BARE = """
import gzip, sys
from pathlib import Path
import trafilatura
n = 0
for path in sorted(Path(sys.argv[1]).rglob("*.html*")):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    trafilatura.extract(data.decode("utf-8", "replace"), include_comments=False)
    n += 1
print(n)
"""


def build_corpus(wcxb: Path, wire: Path, files: int, dest: Path) -> int:
    pages = sorted((wcxb / "html").glob("*.html.gz")) + sorted((wire / "html").glob("*.html"))
    if not pages:
        raise SystemExit(f"no pages under {wcxb}/html or {wire}/html")
    for i in range(files):
        src = pages[i % len(pages)]
        data = src.read_bytes()
        if src.suffix == ".gz":
            data = gzip.decompress(data)
        repeat = i // len(pages)
        if repeat:
            data = data + f"\n<!-- repeat {repeat} -->\n".encode()
        (dest / f"{i:06d}.html").write_bytes(data)
    return files


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``; return wall seconds, peak RSS of its process tree in MiB, and stdout."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        rss = 0
        try:
            tree = [proc, *proc.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree)
        except psutil.Error:
            pass
        peak = max(peak, rss)
        time.sleep(0.05)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    return elapsed, peak / 2**20, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wcxb", type=Path, default=DATA / "wcxb-dev")
    parser.add_argument("--wire", type=Path, default=DATA / "wire-dev")
    parser.add_argument("--files", type=int, default=3000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="newsdedup-throughput-"))
    try:
        corpus = work / "pages"
        corpus.mkdir()
        n = build_corpus(args.wcxb, args.wire, args.files, corpus)
        rows = []
        secs, rss, _ = measure([sys.executable, "-c", BARE, str(corpus)])
        bare_rate = n / secs
        rows.append(("bare trafilatura.extract (1 process)", secs, bare_rate, rss))
        for workers in (1, 2):
            out = work / f"out{workers}"
            secs, rss, _ = measure(
                [
                    sys.executable,
                    "-m",
                    "pipeline",
                    "run",
                    str(corpus),
                    "--out",
                    str(out),
                    "--state",
                    str(out / "state"),
                    "--workers",
                    str(workers),
                    "--no-progress",
                ]
            )
            rows.append((f"newsdedup run --workers {workers}", secs, n / secs, rss))
        same = (work / "out1" / "articles.jsonl").read_bytes() == (
            work / "out2" / "articles.jsonl"
        ).read_bytes() and (work / "out1" / "clusters.jsonl").read_bytes() == (
            work / "out2" / "clusters.jsonl"
        ).read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{n} HTML files\n")
    print(
        f"| {'run':<38} | {'seconds':>8} | {'pages/s':>8} | {'peak RSS MiB':>12} | {'vs bare':>7} |"
    )
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 10}|{'-' * 14}|{'-' * 9}|")
    for name, secs, rate, rss in rows:
        print(f"| {name:<38} | {secs:8.1f} | {rate:8.1f} | {rss:12.0f} | {rate / bare_rate:7.2f} |")
    r1, r2 = rows[1][2] / bare_rate, rows[2][2] / bare_rate
    print()
    print(f"1 worker >= 0.85x bare: {'yes' if r1 >= 0.85 else 'NO'} ({r1:.2f}x)")
    print(f"2 workers >= 1.6x bare: {'yes' if r2 >= 1.6 else 'NO'} ({r2:.2f}x)")
    print(f"output identical for 1 and 2 workers: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
