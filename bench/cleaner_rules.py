"""What each chrome rule of ``pipeline.clean`` removes, measured on WCXB and wire-dev.

Usage: python bench/cleaner_rules.py [WCXB_DIR] [--wire WIRE_DIR] [--types article,...]
                                     [--cache FILE] [--limit N] [--show RULE]

WCXB_DIR (default ../shared/data/wcxb-dev beside the repository) holds ``html/NNNN.html.gz`` and
``ground-truth/NNNN.json``. Each page of the chosen types goes through
``trafilatura.extract(html, include_comments=False, deduplicate=False)`` and then the cleaner.
A ``with`` snippet (text a correct extraction must contain) found in trafilatura's output but
not in the cleaned text is "lost"; a ``without`` snippet (boilerplate) found before and not
after is "removed". Each is charged to the rule that removed the line holding it.

WIRE_DIR (default ../shared/data/wire-dev) adds two columns: page-furniture lines removed, and
other lines removed, over the documents that reuse whole WCXB texts (kinds original,
singleton, trim, copy). A line of those found in none of its WCXB sources is furniture.

The second table is the article gate (``too_short``, ``not_article``) per WCXB page type.
``--cache FILE`` keeps trafilatura's output in a JSONL file so that reruns only time the cleaner.
``--show RULE`` prints every line that RULE removed, with the page id; ``--show wire-missed``
prints wire-dev's furniture lines with the rule that removed them (None: kept).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.chrome_rules import RULES  # noqa: E402
from pipeline.clean import clean_text, looks_like_listing, trace  # noqa: E402
from pipeline.config import CleanConfig  # noqa: E402

DEFAULT_WCXB = REPO.parent / "shared" / "data" / "wcxb-dev"
DEFAULT_WIRE = REPO.parent / "shared" / "data" / "wire-dev"
_WS = re.compile(r"\s+")


def norm(s: str) -> str:
    return _WS.sub(" ", s.replace("\u00a0", " ")).strip().casefold()


def extract_pages(data: Path, types: set[str], limit: int | None, cache: Path | None) -> list[Any]:
    cached: dict[str, Any] = {}
    if cache and cache.exists():
        for raw in cache.read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            cached[row["id"]] = row
    import trafilatura

    pages = []
    for path in sorted((data / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        if truth["page_type"] not in types:
            continue
        fid = truth["file_id"]
        if fid in cached:
            row = cached[fid]
        else:
            html = gzip.decompress((data / "html" / f"{fid}.html.gz").read_bytes())
            page = html.decode("utf-8", "replace")
            text = trafilatura.extract(page, include_comments=False, deduplicate=False)
            meta = trafilatura.extract_metadata(page)
            row = {"id": fid, "text": text, "title": meta.title if meta else None}
            cached[fid] = row
        pages.append((truth, row))
        if limit and len(pages) >= limit:
            break
    if cache:
        cache.write_text(
            "".join(json.dumps(r) + "\n" for _, r in sorted(cached.items())), encoding="utf-8"
        )
    return pages


def wire_docs(wire: Path, wcxb: Path) -> list[tuple[dict[str, Any], set[str]]]:
    """wire-dev documents that reuse whole WCXB texts, each with its furniture lines.

    Only ``original``, ``singleton``, ``trim`` and ``copy`` documents: their article lines are
    verbatim WCXB text, so a line found in none of their WCXB sources is furniture.
    """
    docs = [json.loads(x) for x in (wire / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = {
        d["id"]: d
        for d in (json.loads(x) for x in (wire / "labels.jsonl").read_text().splitlines())
    }
    out = []
    for d in docs:
        label = labels[d["id"]]
        if label["kind"] not in {"original", "singleton", "trim", "copy"}:
            continue
        sources = " ".join(
            norm(
                json.loads((wcxb / "ground-truth" / f"{w}.json").read_text())["ground_truth"][
                    "main_content"
                ]
            )
            for w in label["wcxb"]
        )
        lines = {norm(x) for x in d["text"].splitlines() if x.strip()}
        out.append((d, {x for x in lines if x not in sources}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_WCXB)
    ap.add_argument("--wire", type=Path, default=DEFAULT_WIRE)
    ap.add_argument("--types", default="article")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--show", metavar="RULE")
    args = ap.parse_args(argv)
    if not (args.data / "ground-truth").is_dir():
        print(f"no ground-truth/ under {args.data}", file=sys.stderr)
        return 2

    types = set(args.types.split(","))
    pages = extract_pages(args.data, types, args.limit, args.cache)
    fired: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    snippets = Counter[str]()
    gate: dict[str, Counter[str]] = defaultdict(Counter)
    min_words = CleanConfig().min_words
    seconds = 0.0
    total_lines = 0
    for truth, row in pages:
        kind = truth["page_type"]
        text = row["text"]
        if not text:
            gate[kind]["no_text"] += 1
            continue
        started = time.perf_counter()
        result = clean_text(text, row["title"])
        seconds += time.perf_counter() - started
        traced = trace(text, row["title"])
        total_lines += len(traced)
        by_rule: dict[str, list[str]] = defaultdict(list)
        for line, rule in traced:
            if rule:
                fired[rule] += 1
                by_rule[rule].append(norm(line))
                if rule == args.show:
                    print(f"{truth['file_id']} {kind:<13} {line[:140]}")
        before, after = norm(text), norm(result.text)
        gt = truth["ground_truth"]
        for key, counter in (("with", lost), ("without", removed)):
            for snippet in gt.get(key) or []:
                s = norm(snippet)
                if not s or s not in before:
                    continue
                snippets[key] += 1
                if s in after:
                    continue
                rule = next((r for r, ls in by_rule.items() if any(s in x for x in ls)), None)
                counter[rule or "(other)"] += 1
        words = len(result.text.split())
        if words < min_words:
            gate[kind]["too_short"] += 1
        elif looks_like_listing(result.text):
            gate[kind]["not_article"] += 1
        else:
            gate[kind]["kept"] += 1

    wire_fired: Counter[tuple[str, bool]] = Counter()
    wire_total = Counter[bool]()
    if (args.wire / "docs.jsonl").is_file():
        for d, furniture in wire_docs(args.wire, args.data):
            for line, rule in trace(d["text"], d.get("title")):
                is_furniture = norm(line) in furniture
                wire_total[is_furniture] += 1
                if rule:
                    wire_fired[(rule, is_furniture)] += 1
                if args.show and args.show in (rule, "wire-missed") and (rule or is_furniture):
                    print(f"wire {'F' if is_furniture else '-'} {rule} {line[:140]}")

    names = [r.name for r in RULES] + ["title_repeat"]
    print(
        f"WCXB {','.join(sorted(types))}: {len(pages)} pages, {total_lines} lines; "
        f"{snippets['with']} 'with' and {snippets['without']} 'without' snippets in "
        f"trafilatura's output"
    )
    print(f"wire-dev: {wire_total[True]} furniture lines, {wire_total[False]} other lines\n")
    head = f"{'rule':<22}{'lines':>7}{'with lost':>11}{'without rm':>12}{'wire furn':>11}"
    print(head + f"{'wire other':>12}")
    print("-" * len(head + " " * 12))
    for name in names + ["(other)"]:
        row_ = (
            fired[name],
            lost[name],
            removed[name],
            wire_fired[(name, True)],
            wire_fired[(name, False)],
        )
        if name == "(other)" and not any(row_):
            continue
        print(f"{name:<22}{row_[0]:>7}{row_[1]:>11}{row_[2]:>12}{row_[3]:>11}{row_[4]:>12}")
    print("-" * len(head + " " * 12))
    print(
        f"{'total':<22}{sum(fired.values()):>7}{sum(lost.values()):>11}"
        f"{sum(removed.values()):>12}{sum(v for (_, f), v in wire_fired.items() if f):>11}"
        f"{sum(v for (_, f), v in wire_fired.items() if not f):>12}"
    )
    if wire_total[True]:
        share = sum(v for (_, f), v in wire_fired.items() if f) / wire_total[True]
        print(f"wire-dev furniture lines removed: {share:.1%}")
    print(
        f"cleaner time: {seconds * 1000 / max(len(pages), 1):.2f} ms/page, "
        f"{total_lines / max(seconds, 1e-9):,.0f} lines/s\n"
    )

    print(f"article gate (min_words={min_words})")
    print(f"{'page type':<15}{'pages':>7}{'too_short':>11}{'not_article':>13}{'kept':>7}")
    for kind in sorted(gate):
        c = gate[kind]
        print(
            f"{kind:<15}{sum(c.values()):>7}{c['too_short'] + c['no_text']:>11}"
            f"{c['not_article']:>13}{c['kept']:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
