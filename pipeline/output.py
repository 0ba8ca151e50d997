"""Writing results: JSONL files replaced atomically, one folder per run that wrote something.

Layout of ``--out DIR``::

    DIR/articles.jsonl            the newest run's new articles (replaced atomically)
    DIR/clusters.jsonl            the newest run's changed clusters (replaced atomically)
    DIR/runs/RUN_ID/...           the same two files for every run that wrote something

A run with nothing new leaves every file as it was, so reruns are idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.document import Document, without_surrogates
from pipeline.group import Cluster, Link

ARTICLES = "articles.jsonl"
CLUSTERS = "clusters.jsonl"
RUNS = "runs"

ARTICLE_FIELDS = (
    "id",
    "url",
    "source",
    "title",
    "author",
    "published",
    "language",
    "sitename",
    "text",
    "cluster_id",
    "relation",
    "duplicate_of",
)


def _read_umask() -> int:
    """The process's umask (read once, at import: reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def article_record(doc: Document) -> dict[str, Any]:
    return {name: getattr(doc, name) for name in ARTICLE_FIELDS}


def link_record(link: Link) -> dict[str, Any]:
    record: dict[str, Any] = {
        "a": link.a,
        "b": link.b,
        "relation": link.relation,
        "similarity": round(link.similarity, 4),
    }
    if link.relation == "wire_overlap" or link.passages:
        record["passages"] = [
            {
                "a": {"text": p.a_text, "start": p.a_start, "end": p.a_end},
                "b": {"text": p.b_text, "start": p.b_start, "end": p.b_end},
                "similarity": round(p.similarity, 4),
            }
            for p in link.passages
        ]
    for name in ("merged", "coverage"):
        value = getattr(link, name, None)
        if value is not None:
            record[name] = round(value, 4) if isinstance(value, float) else value
    return record


def cluster_record(cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster_id": cluster.cluster_id,
        "canonical": cluster.canonical,
        "members": sorted(cluster.members),
        "links": [
            link_record(link)
            for link in sorted(cluster.links, key=lambda k: (k.a, k.b, k.relation))
        ],
    }


def dumps_jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    """Canonical JSONL: keys in a fixed order, UTF-8, one record a line. (A file name that is
    not UTF-8 is written with U+FFFD for its undecodable bytes.)"""
    return b"".join(
        _utf8(json.dumps(r, ensure_ascii=False, separators=(",", ":"))) + b"\n" for r in records
    )


def _utf8(line: str) -> bytes:
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: encoded once more, with it replaced
        return without_surrogates(line).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would hide the output from readers
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_id(articles: bytes, when: datetime | None = None) -> str:
    """Sortable and unique per content: ``YYYYMMDDTHHMMSSZ-<hash>``."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{hashlib.sha1(articles).hexdigest()[:8]}"


def write_outputs(
    out_dir: Path,
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    when: datetime | None = None,
) -> str | None:
    """Write this run's new articles and changed clusters; return the run id, or None if empty.

    ``when`` (default: now) stamps a new run's id.
    """
    if not docs:
        return None
    articles = dumps_jsonl(article_record(d) for d in sorted(docs, key=lambda d: d.id))
    cluster_lines = dumps_jsonl(
        cluster_record(c) for c in sorted(clusters, key=lambda c: c.cluster_id)
    )
    rid = run_id(articles, when)
    digest = rid.rsplit("-", 1)[1]
    # A run killed after writing but before committing its state is redone by the next run with
    # the same articles: reuse its folder instead of recording the same articles twice.
    for earlier in sorted((out_dir / RUNS).glob(f"*-{digest}")):
        rid = earlier.name
    run_dir = out_dir / RUNS / rid
    # The per-run copy first: if we die between the two, the newest files still describe a run
    # that is fully recorded under runs/.
    write_atomic(run_dir / ARTICLES, articles)
    write_atomic(run_dir / CLUSTERS, cluster_lines)
    write_atomic(out_dir / CLUSTERS, cluster_lines)
    write_atomic(out_dir / ARTICLES, articles)
    return rid
