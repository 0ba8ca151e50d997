"""Grouping quality on a labelled set (wire-dev), ours against a document-level baseline.

    .venv/bin/python bench/grouping_quality.py [DATA_DIR] [--clean] [--html] [--limit N]
        [--republish K]

DATA_DIR (default ../shared/data/wire-dev from the repository root) holds ``docs.jsonl`` and
``labels.jsonl`` as described in its README. Ours runs the same ``group()`` as
``newsdedup run`` on a fresh temporary state; the baseline is document-level MinHash only
(word 5-grams, 14 bands x 8 rows, datasketch ``MinHashLSH``, clusters = connected components of
candidate pairs, the datatrove recipe). Both are scored with the README's metrics, implemented
here: ARI, pairwise precision/recall/F1, recall by kind, cite false-merge rate, singletons
merged, clusters found; and docs/s of the grouping stage alone, in CPU time (the machine may be
shared), best of ``--repeat`` runs.

``--republish K`` adds K near copies of every original, as a popular wire story gets: each on
an outlet of its own that adds its credit line (the same line on every story it republishes),
published an hour apart after the original, and labelled a copy of its story.

``--clean`` passes texts through ``pipeline.clean.clean_text`` first (furniture stripped, as
``newsdedup run`` does); ``--html`` runs the whole path from ``html/<id>.html`` through
``pipeline.loaders.document_from_html`` and ``pipeline.process.process``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from math import comb
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import CleanConfig, GroupConfig  # noqa: E402
from pipeline.document import Document  # noqa: E402
from pipeline.group import group, open_index  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wire-dev"
DERIVED = ("copy", "trim", "edit", "rewrite")

# Targets: (metric, comparison, value)
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("ARI", ">=", 0.975),
    ("F1", ">=", 0.975),
    ("recall copy", ">=", 1.0),
    ("recall trim", ">=", 0.99),
    ("recall edit", ">=", 0.99),
    ("recall rewrite", ">=", 0.95),
    ("cite merged", "<=", 0.01),
    ("singletons merged", "<=", 0.005),
)


# -- metrics ------------------------------------------------------------------------------


def adjusted_rand_index(true: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """ARI as sklearn's ``adjusted_rand_score`` (the README's formula)."""
    n = len(true)
    if n < 2:
        return 1.0
    index = sum(comb(c, 2) for c in Counter(zip(true, pred, strict=True)).values())
    sum_a = sum(comb(c, 2) for c in Counter(true).values())
    sum_b = sum(comb(c, 2) for c in Counter(pred).values())
    expected = sum_a * sum_b / comb(n, 2)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def pairwise_prf(true: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    tp = sum(comb(c, 2) for c in Counter(zip(true, pred, strict=True)).values())
    same_pred = sum(comb(c, 2) for c in Counter(pred).values())
    same_true = sum(comb(c, 2) for c in Counter(true).values())
    p = tp / same_pred if same_pred else 1.0
    r = tp / same_true if same_true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(labels: list[dict[str, Any]], cluster_of: dict[str, Hashable]) -> dict[str, float]:
    """The README's metrics; a document without a prediction is a group of its own."""
    pred = [cluster_of.get(lab["id"]) or ("solo", lab["id"]) for lab in labels]
    by_id = dict(zip((lab["id"] for lab in labels), pred, strict=True))
    true = [lab["story"] for lab in labels]
    sizes = Counter(pred)
    p, r, f = pairwise_prf(true, pred)
    out = {"ARI": adjusted_rand_index(true, pred), "P": p, "R": r, "F1": f}
    for kind in DERIVED:
        docs = [lab for lab in labels if lab["kind"] == kind]
        hit = sum(by_id[lab["id"]] == by_id[lab["source"]] for lab in docs)
        out[f"recall {kind}"] = hit / len(docs) if docs else 1.0
    cites = [lab for lab in labels if lab["kind"] == "cite"]
    out["cite merged"] = (
        sum(by_id[lab["id"]] == by_id[lab["source"]] for lab in cites) / len(cites)
        if cites
        else 0.0
    )
    singles = [lab for lab in labels if lab["kind"] == "singleton"]
    out["singletons merged"] = (
        sum(sizes[by_id[lab["id"]]] > 1 for lab in singles) / len(singles) if singles else 0.0
    )
    out["clusters"] = float(len(sizes))
    return out


# -- inputs -------------------------------------------------------------------------------


def load(data: Path, limit: int | None) -> tuple[list[Document], list[dict[str, Any]]]:
    docs, labels = [], []
    with (
        (data / "docs.jsonl").open(encoding="utf-8") as fd,
        (data / "labels.jsonl").open(encoding="utf-8") as fl,
    ):
        for line_d, line_l in zip(fd, fl, strict=True):
            d, lab = json.loads(line_d), json.loads(line_l)
            docs.append(
                Document(
                    id=d["id"],
                    source=f"docs.jsonl:{d['id']}",
                    url=d["url"],
                    text=d["text"],
                    title=d.get("title"),
                    published=d.get("published"),
                )
            )
            labels.append(lab)
    if limit:
        keep = {lab["story"] for lab in labels[:limit]}
        pairs = [
            (d, lab)
            for d, lab in zip(docs, labels, strict=True)
            if lab["story"] in keep and lab["kind"] != "cite"
        ]
        # A cite is scored against its source: kept when the source is.
        pairs += [
            (d, lab)
            for d, lab in zip(docs, labels, strict=True)
            if lab["kind"] == "cite" and _source_kept(lab, pairs)
        ]
        docs, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    return docs, labels


OUTLETS = (
    "Valley", "Harbour", "Summit", "Prairie", "Lakeside", "Coastal", "Metro", "Northern",
    "Riverside", "Highland", "Bayside", "Frontier", "Heartland", "Midland", "Pinecrest",
    "Seaboard", "Tidewater", "Upland", "Westbrook", "Eastgate",
)  # fmt: skip
# Past the first 20, outlets are named by two words: "Valley Harbour", "Valley Summit", ...
OUTLET_NAMES = OUTLETS + tuple(f"{a} {b}" for a in OUTLETS for b in OUTLETS if a != b)


def republished(
    docs: list[Document], labels: list[dict[str, Any]], k: int
) -> tuple[list[Document], list[dict[str, Any]]]:
    """``docs`` and ``labels`` with ``k`` near copies of every original (see ``--republish``)."""
    if k > len(OUTLET_NAMES):
        raise SystemExit(f"--republish takes at most {len(OUTLET_NAMES)} outlets")
    extra_docs, extra_labels = [], []
    label_of = {lab["id"]: lab for lab in labels}
    for d in docs:  # a page the pipeline dropped (--html) has no copies either
        lab = label_of[d.id]
        if lab["kind"] != "original":
            continue
        start = datetime.fromisoformat(d.published.replace("Z", "+00:00")) if d.published else None
        for n, outlet in enumerate(OUTLET_NAMES[:k]):
            id_ = f"{d.id}r{n:03d}"
            when = start + timedelta(hours=n + 1) if start else None
            credit = (
                f"This story was republished by the {outlet} Courier under a licence from its "
                f"original publisher; {outlet} readers can find more of our coverage online."
            )
            extra_docs.append(
                replace(
                    d,
                    id=id_,
                    source=f"republished:{id_}",
                    url=f"https://{outlet.lower().replace(' ', '')}courier.example/news/{id_}",
                    text=f"{d.text}\n\n{credit}",
                    published=when.isoformat().replace("+00:00", "Z") if when else None,
                )
            )
            extra_labels.append({**lab, "id": id_, "kind": "copy", "source": d.id})
    return docs + extra_docs, labels + extra_labels


def _source_kept(lab: dict[str, Any], pairs: list[tuple[Document, dict[str, Any]]]) -> bool:
    return any(p[1]["id"] == lab["source"] for p in pairs)


def cleaned(docs: list[Document]) -> list[Document]:
    try:
        from pipeline.clean import clean_text
    except ImportError as err:
        raise SystemExit(f"--clean needs pipeline.clean.clean_text: {err}") from err
    return [replace(d, text=clean_text(d.text, d.title).text) for d in docs]


def from_html(data: Path, docs: list[Document]) -> tuple[list[Document], Counter[str]]:
    try:
        from pipeline.errors import Drop
        from pipeline.loaders import document_from_html
        from pipeline.process import process
    except ImportError as err:
        raise SystemExit(f"--html needs pipeline.loaders and pipeline.process: {err}") from err
    out, drops = [], Counter[str]()
    cfg = CleanConfig()
    for d in docs:
        html = (data / "html" / f"{d.id}.html").read_text(encoding="utf-8")
        page = document_from_html(html, source=str(data / "html" / f"{d.id}.html"), url=d.url)
        try:
            done = process(page, cfg)
        except Drop as drop:
            drops[drop.reason] += 1
            continue
        # Keep the labelled id so the scores line up (the page's own id comes from its URL).
        out.append(replace(done, id=d.id))
    return out, drops


# -- the two groupers ---------------------------------------------------------------------


def run_ours(docs: list[Document], cfg: GroupConfig) -> tuple[dict[str, Hashable], float]:
    """Group into a fresh state; CPU seconds of ``group()`` and the commit."""
    with tempfile.TemporaryDirectory(prefix="grouping-bench-") as tmp:
        index = open_index(tmp, cfg)
        try:
            start = time.process_time()
            group(docs, index, cfg)
            index.commit()
            elapsed = time.process_time() - start
        finally:
            index.close()
    return {d.id: d.cluster_id for d in docs}, elapsed


_WORD = re.compile(r"\w+")


def run_baseline(docs: list[Document]) -> tuple[dict[str, Hashable], float]:
    from datasketch import MinHash, MinHashLSH

    start = time.process_time()
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    perms = MinHash(num_perm=112, seed=1, scheme="affine32").permutations
    parent = {d.id: d.id for d in docs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for d in docs:
        words = _WORD.findall(d.text.lower())
        grams = {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=112, seed=1, permutations=perms, scheme="affine32")
        m.update_batch(grams)
        for other in lsh.query(m):
            ra, rb = find(d.id), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        lsh.insert(d.id, m)
    elapsed = time.process_time() - start
    return {d.id: find(d.id) for d in docs}, elapsed


# -- report -------------------------------------------------------------------------------


def holds(metric: str, op: str, value: float, scores: dict[str, float]) -> bool:
    got = scores[metric]
    return got >= value - 1e-12 if op == ">=" else got <= value + 1e-12


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--clean", action="store_true", help="clean texts with pipeline.clean first")
    ap.add_argument("--html", action="store_true", help="extract and clean html/<id>.html")
    ap.add_argument("--limit", type=int, help="only the stories of the first N label lines")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    ap.add_argument(
        "--republish",
        type=int,
        default=0,
        metavar="K",
        help="add K near copies of every original, each with its outlet's credit line",
    )
    ap.add_argument(
        "--repeat", type=int, default=5, help="time each grouper this many times, keep the best"
    )
    args = ap.parse_args(argv)
    if not (args.data / "docs.jsonl").is_file():
        print(f"no docs.jsonl under {args.data}", file=sys.stderr)
        return 2
    docs, labels = load(args.data, args.limit)
    mode = "raw text"
    drops: Counter[str] = Counter()
    if args.html:
        docs, drops = from_html(args.data, docs)
        mode = "html -> extract -> clean"
    elif args.clean:
        docs = cleaned(docs)
        mode = "cleaned text"
    if args.republish:  # copies of the text as extracted and cleaned, when it was
        docs, labels = republished(docs, labels, args.republish)
        mode = f"{mode}, {args.republish} near copies of every original"
    cfg = GroupConfig()
    rows: list[tuple[str, dict[str, float], float]] = []
    # Alternate the two so that both see the same machine load; keep each one's best.
    ours: list[tuple[dict[str, Hashable], float]] = []
    base: list[tuple[dict[str, Hashable], float]] = []
    for _ in range(max(1, args.repeat)):
        ours.append(run_ours([replace(d) for d in docs], cfg))
        if not args.no_baseline:
            base.append(run_baseline(docs))
    rows.append(("ours", score(labels, ours[0][0]), len(docs) / min(r[1] for r in ours)))
    if base:
        rows.append(
            ("doc-level baseline", score(labels, base[0][0]), len(docs) / min(r[1] for r in base))
        )
    print(
        f"{args.data}  {len(docs)} documents ({mode})"
        + (f", dropped {dict(drops)}" if drops else "")
    )
    metrics = [
        "ARI",
        "P",
        "R",
        "F1",
        *[f"recall {k}" for k in DERIVED],
        "cite merged",
        "singletons merged",
        "clusters",
    ]
    width = max(len(m) for m in metrics) + 2
    print(f"{'':<{width}}" + "".join(f"{name:>20}" for name, _, _ in rows))
    for m in metrics:
        cells = "".join(
            f"{s[m]:>20.0f}" if m == "clusters" else f"{s[m]:>20.4f}" for _, s, _ in rows
        )
        print(f"{m:<{width}}{cells}")
    print(f"{'docs/s (1 core)':<{width}}" + "".join(f"{r:>20.0f}" for _, _, r in rows))
    true_clusters = len({lab["story"] for lab in labels})
    print(f"(true clusters: {true_clusters})")
    mine = rows[0][1]
    verdicts = [
        f"{m} {op} {v:g}: {'ok' if holds(m, op, v, mine) else 'MISSED'}" for m, op, v in TARGETS
    ]
    if len(rows) > 1:
        ratio = rows[1][2] / rows[0][2]
        verdicts.append(
            f"speed within 2x of baseline: {'ok' if ratio <= 2 else 'MISSED'} ({ratio:.2f}x)"
        )
    missed = [v for v in verdicts if "MISSED" in v]
    print(
        ("targets: all hold" if not missed else f"targets: {len(missed)} missed")
        + " | "
        + "; ".join(verdicts)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
