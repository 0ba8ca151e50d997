"""Extraction quality and speed on WCXB-layout data: our pipeline against bare trafilatura.

    python bench/extraction.py [DATA_DIR] [--limit N] [--types article,listing,...]

DATA_DIR holds ``html/NNNN.html.gz`` and ``ground-truth/NNNN.json`` (the WCXB layout; default
``../shared/data/wcxb-dev`` next to the repository). Each page goes through

- ours: ``pipeline.charset.decode_html`` and ``pipeline.loaders.document_from_html`` (no URL,
  as for a saved file), then ``pipeline.process.process``: the code path of ``newsdedup run``.
  A dropped page counts as an empty extraction with no title and no date;
- bare: ``trafilatura.bare_extraction(raw_bytes, include_comments=False, with_metadata=True)``,
  that is ``trafilatura.extract`` plus its metadata in one call, decoding the bytes itself.

Both are timed in the same process, alternating which goes first, after one untimed warm-up
page each (htmldate's first call loads its date parser); reading and gunzipping the file are
outside the timing. Scores follow the benchmark's README: word-bag precision/recall/F1 over
``\\w+`` tokens, the share of ``with`` snippets found and of ``without`` snippets leaked
(lower-cased substring), title agreement (same token list) and date agreement (same calendar
day, over pages with a true date). ``--limit`` takes the first N pages of each type.

The pipeline declines pages that are not articles (``dropped/not_article``, ``too_short``), which
scores 0 on them: the "F1 kept" column compares both systems on the pages ours emitted, and the
per-type target uses it. The article F1 target counts every drop as an empty extraction.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.charset import decode_html  # noqa: E402
from pipeline.config import CleanConfig  # noqa: E402
from pipeline.errors import Drop  # noqa: E402
from pipeline.loaders import document_from_html  # noqa: E402
from pipeline.process import process  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wcxb-dev"
TYPE_ORDER = ("article", "listing", "collection", "forum", "product", "service", "documentation")
_TOKEN = re.compile(r"\w+")

# The targets: on the article pages, except the per-type F1 tolerance.
F1_MARGIN = 0.015
TYPE_F1_TOLERANCE = 0.01
LEAK_RATIO = 0.5
TITLE_MIN = 0.85
DATE_MIN = 0.92
SPEED_RATIO = 0.8


@dataclass(slots=True)
class Output:
    text: str
    title: str | None
    date: str | None
    dropped: str | None = None


@dataclass(slots=True)
class Page:
    file_id: str
    page_type: str
    truth: dict[str, Any]


@dataclass(slots=True)
class Score:
    """One system's scores on one page; None where the page has no such ground truth."""

    f1: float
    precision: float
    recall: float
    found: float | None
    leaked: float | None
    title_ok: bool | None
    date_ok: bool | None
    dropped: str | None

    @classmethod
    def of(cls, out: Output, truth: dict[str, Any]) -> Score:
        p, r, f = word_bag(out.text, truth.get("main_content") or "")
        low = out.text.lower()
        with_, without = truth.get("with") or [], truth.get("without") or []
        return cls(
            f1=f,
            precision=p,
            recall=r,
            found=sum(s.lower() in low for s in with_) / len(with_) if with_ else None,
            leaked=sum(s.lower() in low for s in without) / len(without) if without else None,
            title_ok=tokens(out.title) == tokens(truth["title"]) if truth.get("title") else None,
            date_ok=(
                (out.date or "")[:10] == truth["publish_date"][:10]
                if truth.get("publish_date")
                else None
            ),
            dropped=out.dropped,
        )


def average(scores: Sequence[Score], metric: str) -> float:
    values = [float(v) for v in (getattr(s, metric) for s in scores) if v is not None]
    return sum(values) / len(values) if values else float("nan")


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text.lower()) if text else []


def word_bag(predicted: str, reference: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the multiset overlap of word tokens."""
    pred, ref = tokens(predicted), tokens(reference)
    if not pred and not ref:
        return 1.0, 1.0, 1.0
    if not pred or not ref:
        return 0.0, 0.0, 0.0
    overlap = sum((Counter(pred) & Counter(ref)).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / len(pred), overlap / len(ref)
    return p, r, 2 * p * r / (p + r)


def ours(data: bytes, name: str, cfg: CleanConfig) -> Output:
    doc = document_from_html(decode_html(data), source=name, url=None)
    try:
        doc = process(doc, cfg)
    except Drop as drop:
        return Output("", None, None, dropped=drop.reason)
    return Output(doc.text, doc.title, doc.published)


def bare(data: bytes, name: str, cfg: CleanConfig) -> Output:
    result = trafilatura.bare_extraction(data, include_comments=False, with_metadata=True)
    if result is None or isinstance(result, dict):
        return Output("", None, None, dropped="none")
    return Output(result.text or "", result.title, result.date)


SYSTEMS: dict[str, Callable[[bytes, str, CleanConfig], Output]] = {"ours": ours, "bare": bare}


def load_pages(data_dir: Path, types: set[str] | None, limit: int | None) -> list[Page]:
    truth_dir = data_dir / "ground-truth"
    if not truth_dir.is_dir():
        raise SystemExit(f"no ground-truth/ under {data_dir}")
    pages: list[Page] = []
    per_type: Counter[str] = Counter()
    for path in sorted(truth_dir.glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        kind = item.get("page_type", "unknown")
        if types and kind not in types:
            continue
        if limit is not None and per_type[kind] >= limit:
            continue
        per_type[kind] += 1
        pages.append(Page(item["file_id"], kind, item["ground_truth"]))
    return pages


# page type -> one (ours, bare) pair of scores per page
Results = dict[str, list[tuple[Score, Score]]]


def run(data_dir: Path, pages: list[Page], jsonl: Path | None) -> tuple[Results, dict[str, float]]:
    cfg = CleanConfig()
    results: Results = defaultdict(list)
    seconds = dict.fromkeys(SYSTEMS, 0.0)
    sink = jsonl.open("w", encoding="utf-8") if jsonl else None
    for i, page in enumerate(pages):
        data = gzip.decompress((data_dir / "html" / f"{page.file_id}.html.gz").read_bytes())
        if i == 0:
            for system in SYSTEMS.values():
                system(data, page.file_id, cfg)
        outputs: dict[str, Output] = {}
        for name in list(SYSTEMS) if i % 2 == 0 else list(reversed(SYSTEMS)):
            start = time.perf_counter()
            outputs[name] = SYSTEMS[name](data, page.file_id, cfg)
            seconds[name] += time.perf_counter() - start
        scores = {name: Score.of(out, page.truth) for name, out in outputs.items()}
        results[page.page_type].append((scores["ours"], scores["bare"]))
        if sink:
            for name, score in scores.items():
                row: dict[str, Any] = {"system": name, "file_id": page.file_id}
                row["page_type"] = page.page_type
                row.update(asdict(score), title=outputs[name].title, date=outputs[name].date)
                sink.write(json.dumps(row) + "\n")
    if sink:
        sink.close()
    return results, seconds


COLUMNS = (
    ("F1", "f1"), ("prec", "precision"), ("recall", "recall"), ("with", "found"),
    ("leaked", "leaked"), ("title", "title_ok"), ("date", "date_ok"),
)  # fmt: skip


def print_report(results: Results, seconds: dict[str, float], n_pages: int) -> None:
    kinds = [t for t in TYPE_ORDER if t in results] + sorted(set(results) - set(TYPE_ORDER))
    head = f"{'type':<14}{'pages':>6} {'system':<6}"
    print(head + "".join(f"{c:>8}" for c, _ in COLUMNS) + f"{'dropped':>8}{'F1 kept':>8}")
    for kind in kinds:
        pairs = results[kind]
        kept = [pair for pair in pairs if pair[0].dropped is None]
        for i, name in enumerate(SYSTEMS):
            scores = [pair[i] for pair in pairs]
            label = f"{kind:<14}{len(pairs):>6} " if i == 0 else " " * 21
            values = "".join(f"{average(scores, m):>8.4f}" for _, m in COLUMNS)
            drops = sum(s.dropped is not None for s in scores)
            f1_kept = average([pair[i] for pair in kept], "f1")
            print(f"{label}{name:<6}{values}{drops:>8}{f1_kept:>8.4f}")
    speed = {name: n_pages / s if s else float("nan") for name, s in seconds.items()}
    print(
        f"pages/second over {n_pages} pages: ours {speed['ours']:.1f}, bare {speed['bare']:.1f} "
        f"(ratio {speed['ours'] / speed['bare']:.2f})"
    )
    print(
        "F1 kept: over the pages ours emitted (a dropped page declined as not an article is "
        "scored there by neither system)"
    )
    print(targets(results, speed, kinds))


def targets(results: Results, speed: dict[str, float], kinds: list[str]) -> str:
    if "article" not in results:
        return "targets: no article pages in this run"
    ours_scores = [o for o, _ in results["article"]]
    bare_scores = [b for _, b in results["article"]]
    gain = average(ours_scores, "f1") - average(bare_scores, "f1")

    def kept_gap(kind: str) -> float:
        kept = [pair for pair in results[kind] if pair[0].dropped is None]
        return average([o for o, _ in kept], "f1") - average([b for _, b in kept], "f1")

    worst_kind, worst = min(((k, kept_gap(k)) for k in kinds), key=lambda x: x[1])
    bare_leak = average(bare_scores, "leaked")
    leak_ratio = average(ours_scores, "leaked") / bare_leak if bare_leak else float("nan")
    title, when = average(ours_scores, "title_ok"), average(ours_scores, "date_ok")
    speed_ratio = speed["ours"] / speed["bare"]
    checks = [
        (f"article F1 {gain:+.4f} vs bare (>= +{F1_MARGIN})", gain >= F1_MARGIN),
        (
            f"worst type on kept pages {worst_kind} {worst:+.4f} (>= -{TYPE_F1_TOLERANCE})",
            worst >= -TYPE_F1_TOLERANCE,
        ),
        (f"leaked {leak_ratio:.2f}x bare (<= {LEAK_RATIO})", leak_ratio <= LEAK_RATIO),
        (f"title {title:.3f} (>= {TITLE_MIN})", title >= TITLE_MIN),
        (f"date {when:.3f} (>= {DATE_MIN})", when >= DATE_MIN),
        (f"speed {speed_ratio:.2f}x bare (>= {SPEED_RATIO})", speed_ratio >= SPEED_RATIO),
    ]
    held = sum(ok for _, ok in checks)
    parts = "; ".join(f"{text} {'OK' if ok else 'MISSED'}" for text, ok in checks)
    return f"targets held {held}/{len(checks)}: {parts}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each type")
    parser.add_argument("--types", default=None, help="comma-separated page types (default: all)")
    parser.add_argument("--jsonl", type=Path, default=None, help="write per-page scores here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    types = set(args.types.split(",")) if args.types else None
    pages = load_pages(args.data_dir, types, args.limit)
    if not pages:
        raise SystemExit("no pages selected")
    results, seconds = run(args.data_dir, pages, args.jsonl)
    print_report(results, seconds, len(pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
