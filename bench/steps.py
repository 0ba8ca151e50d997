"""Where a page's time goes: the per-document steps of ``newsdedup run``, timed one by one.

    python bench/steps.py [--wcxb DIR] [--wire DIR] [--files N]

Builds the same corpus as ``bench/throughput.py`` (N real HTML pages), then runs every page
through ``pipeline.process.process`` in this process, with the extraction steps wrapped in
timers. Prints milliseconds per page for each step (averaged over all pages, so a step that
runs on some pages only weighs in by how often it runs), how many pages it ran on, and the
whole. Grouping and writing, which ``newsdedup run`` does after these steps, are not included.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import DATA, build_corpus  # noqa: E402

import pipeline.extract as extract_module  # noqa: E402
import pipeline.metadata as metadata_module  # noqa: E402
import pipeline.process as process_module  # noqa: E402
from pipeline.config import CleanConfig  # noqa: E402
from pipeline.errors import Drop  # noqa: E402
from pipeline.loaders import load_path  # noqa: E402

SECONDS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)

# (module, function, label): the functions each step calls, looked up at call time.
STEPS = [
    (extract_module, "parse_html", "parse"),
    (extract_module, "read_metadata", "metadata"),
    (metadata_module, "_htmldate", "  of which htmldate"),
    (extract_module, "_drop_code", "scripts and styles removed"),
    (extract_module, "prune_chrome", "chrome pruning"),
    (extract_module, "_trafilatura_text", "trafilatura"),
    (extract_module, "_text_room", "room for more text"),
    (extract_module, "_boilerpy3_text", "boilerpy3"),
]


def timed(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SECONDS[label] += time.perf_counter() - start
            CALLS[label] += 1

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wcxb", type=Path, default=DATA / "wcxb-dev")
    parser.add_argument("--wire", type=Path, default=DATA / "wire-dev")
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()

    for module, name, label in STEPS:
        setattr(module, name, timed(getattr(module, name), label))
    # process() holds the steps in a tuple made at import: wrap them there.
    process_module.STEPS = tuple(timed(step, step.__name__) for step in process_module.STEPS)

    work = Path(tempfile.mkdtemp(prefix="newsdedup-steps-"))
    try:
        n = build_corpus(args.wcxb, args.wire, args.files, work)
        cfg = CleanConfig()
        start = time.perf_counter()
        for path in sorted(work.glob("*.html")):
            load_start = time.perf_counter()
            items = list(load_path(path))
            SECONDS["loading"] += time.perf_counter() - load_start
            CALLS["loading"] += 1
            for item in items:
                if isinstance(item, Drop):
                    continue
                try:
                    process_module.process(item, cfg)
                except Drop:
                    pass
        total = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{n} HTML files, one process\n")
    print(f"| {'step':<30} | {'ms/page':>8} | {'pages':>6} |")
    print(f"|{'-' * 32}|{'-' * 10}|{'-' * 8}|")
    order = ["loading", "extract", *[label for _, _, label in STEPS], "clean"]
    for label in order:
        print(f"| {label:<30} | {1000 * SECONDS[label] / n:8.1f} | {CALLS[label]:6d} |")
    print(f"| {'whole (load + extract + clean)':<30} | {1000 * total / n:8.1f} | {n:6d} |")


if __name__ == "__main__":
    main()
