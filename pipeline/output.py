"""Writing results: JSONL files replaced atomically, one folder per run that wrote something.

Layout of ``--out DIR``::

    DIR/articles.jsonl            the newest run's new articles (replaced atomically)
    DIR/clusters.jsonl            the newest run's changed clusters (replaced atomically)
    DIR/runs/RUN_ID/...           the same two files for every run that wrote something
    DIR/.pending-RUN_ID/...       a run's files until its state is committed (transient)
    DIR/.lock                     held by the run writing DIR

A run is staged, then the state is committed, then the run is published: the newest files are
replaced and the staged folder becomes ``runs/RUN_ID``. So a reader never sees a run the state
does not hold, and the next run settles what a killed one left (``recover_outputs``). A run
with nothing new leaves every file as it was, so reruns are idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.document import Document, without_surrogates
from pipeline.group import Cluster, Link

ARTICLES = "articles.jsonl"
CLUSTERS = "clusters.jsonl"
RUNS = "runs"
PENDING = ".pending-"  # a run's outputs between writing and the state's commit
TMP_SUFFIX = ".tmp"

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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
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


@dataclass(frozen=True, slots=True)
class Staged:
    """A run's outputs, written but not yet published (``OUT/.pending-RUN_ID/``)."""

    run_id: str
    folder: Path


def stage_outputs(
    out_dir: Path,
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    when: datetime | None = None,
) -> Staged | None:
    """Write this run's new articles and changed clusters where no reader looks yet; None when
    there is nothing new. ``when`` (default: now) stamps the run id.

    The state is committed between this and ``publish``: a run killed before the commit leaves
    a folder that the next run discards (its articles are not in the state, and will be written
    again), one killed after it a folder that the next run publishes.
    """
    if not docs:
        return None
    articles = dumps_jsonl(article_record(d) for d in sorted(docs, key=lambda d: d.id))
    cluster_lines = dumps_jsonl(
        cluster_record(c) for c in sorted(clusters, key=lambda c: c.cluster_id)
    )
    rid = run_id(articles, when)
    folder = out_dir / f"{PENDING}{rid}"
    write_atomic(folder / CLUSTERS, cluster_lines)
    write_atomic(folder / ARTICLES, articles)  # last: a folder without it is incomplete
    return Staged(rid, folder)


def publish(out_dir: Path, staged: Staged) -> str:
    """Make a staged run the newest and record it under ``runs/``; returns the run id."""
    # The newest files first: if we die before the rename, the next run finds the staged
    # folder, sees its articles in the state and publishes it again (these writes repeat).
    write_atomic(out_dir / CLUSTERS, (staged.folder / CLUSTERS).read_bytes())
    write_atomic(out_dir / ARTICLES, (staged.folder / ARTICLES).read_bytes())
    final = out_dir / RUNS / staged.run_id
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # a run id is its content's: the same run, published before
        shutil.rmtree(final)
    os.replace(staged.folder, final)
    return staged.run_id


def discard(staged: Staged) -> None:
    shutil.rmtree(staged.folder, ignore_errors=True)


def recover_outputs(out_dir: Path, committed: Callable[[list[str]], bool]) -> list[str]:
    """Settle what runs killed between staging and publishing left in ``out_dir``, and remove
    the temporary files of interrupted writes. ``committed(ids)``: whether the state holds
    those articles, that is whether their run committed. Returns what was done, to log.

    Only safe while this process holds the output directory's lock.
    """
    done: list[str] = []
    for folder in sorted(out_dir.glob(f"{PENDING}*")):
        staged = Staged(folder.name.removeprefix(PENDING), folder)
        ids = _ids_in(folder / ARTICLES) if (folder / CLUSTERS).is_file() else None
        if ids and committed(ids):
            publish(out_dir, staged)
            done.append(f"published run {staged.run_id}, committed by a run that stopped")
        else:
            discard(staged)
            done.append(f"discarded run {staged.run_id}, never committed: a rerun redoes it")
    for place in (out_dir, *(out_dir / RUNS).glob("*/")):
        for name in (ARTICLES, CLUSTERS):
            for tmp in place.glob(f".{name}.*{TMP_SUFFIX}"):
                tmp.unlink(missing_ok=True)
                done.append(f"removed {tmp}, left by an interrupted write")
    return done


def _ids_in(path: Path) -> list[str] | None:
    """The article ids of a staged ``articles.jsonl``; None when it is missing or damaged."""
    try:
        return [json.loads(line)["id"] for line in path.read_bytes().splitlines() if line]
    except (OSError, ValueError, KeyError, TypeError):
        return None
