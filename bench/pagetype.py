"""How well ``pipeline.pagetype.classify`` tells articles from everything else.

Usage: python bench/pagetype.py [WCXB_DIR] [--errors N]

WCXB_DIR holds ``html/NNNN.html.gz`` and ``ground-truth/NNNN.json`` (with ``page_type``);
it defaults to ../shared/data/wcxb-dev beside the repository. Prints precision and recall of
"is article" and, per page type, the share classified as article. ``--errors N`` also lists up to
N misclassified pages of each kind with the reasons behind the score.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.pagetype import classify  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "data" / "wcxb-dev"


def decode(data: bytes) -> str:
    try:
        from pipeline.charset import decode_html
    except ImportError:
        return data.decode("utf-8", "replace")
    return decode_html(data, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--errors", type=int, default=0, metavar="N")
    args = ap.parse_args(argv)

    truth_files = sorted((args.data / "ground-truth").glob("*.json"))
    if not truth_files:
        print(f"no ground-truth/*.json under {args.data}", file=sys.stderr)
        return 2

    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # type -> [pages, as article]
    tp = fp = fn = 0
    misses: dict[str, list[str]] = {"false_positive": [], "false_negative": []}
    started = time.perf_counter()
    for path in truth_files:
        truth = json.loads(path.read_text(encoding="utf-8"))
        page = args.data / "html" / f"{truth['file_id']}.html.gz"
        html = decode(gzip.decompress(page.read_bytes()))
        verdict = classify(truth["url"], html)
        kind = truth["page_type"]
        per_type[kind][0] += 1
        per_type[kind][1] += int(verdict.is_article)
        actual = kind == "article"
        if verdict.is_article and actual:
            tp += 1
        elif verdict.is_article:
            fp += 1
            misses["false_positive"].append(
                f"{kind:13} {verdict.score:+5.1f} {truth['url']}  {' '.join(verdict.reasons)}"
            )
        elif actual:
            fn += 1
            misses["false_negative"].append(
                f"{kind:13} {verdict.score:+5.1f} {truth['url']}  {' '.join(verdict.reasons)}"
            )
    elapsed = time.perf_counter() - started

    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = sum(n for n, _ in per_type.values())
    print(f"pages {total}   {elapsed:.1f} s ({1000 * elapsed / total:.1f} ms/page)")
    print(f"is_article  precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print()
    print(f"{'page_type':14} {'pages':>6} {'as article':>11} {'share':>7}")
    for kind in sorted(per_type, key=lambda k: (k != "article", k)):
        n, yes = per_type[kind]
        print(f"{kind:14} {n:6d} {yes:11d} {yes / n:7.1%}")
    for name, lines in misses.items():
        for line in lines[: args.errors]:
            print(f"{name}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
