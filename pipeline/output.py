"""Writing results: JSONL files replaced atomically, one folder per run that wrote something.

Layout of ``--out DIR``::

    DIR/articles.jsonl            the newest run's new articles (replaced atomically)
    DIR/clusters.jsonl            the newest run's changed clusters (replaced atomically)
    DIR/runs/RUN_ID/...           the same two files for every run that wrote something
    DIR/.pending-RUN_ID/...       a run's files until its state is committed (transient),
                                  with the id of that state (``STATE_ID``)
    DIR/.lock                     held by the run writing DIR

A run is staged, then the state is committed, then the run is published: the newest files are
replaced and the staged folder becomes ``runs/RUN_ID``. So a reader never sees a run the state
does not hold, and the next run with the same state settles what a killed one left
(``recover_outputs``); a run with another state leaves it in place. A run with nothing new
leaves every file as it was, so reruns are idempotent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.document import Document, without_surrogates
from pipeline.durable import sync_directory
from pipeline.group import Cluster, Link

ARTICLES = "articles.jsonl"
CLUSTERS = "clusters.jsonl"
RUNS = "runs"
PENDING = ".pending-"  # a run's outputs between writing and the state's commit
STATE_ID = ".state-id"  # in a pending folder: the id of the state it was staged for
DAMAGED = ".damaged-"  # a saved run whose staged files were damaged before they were published
TMP_SUFFIX = ".tmp"
_STAMP = "%Y%m%dT%H%M%SZ"
_STAMP_LEN = 16
_RUN_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(-[0-9a-f]{6})?")

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
        "joined": {
            m: {"parent": parent, "relation": relation}
            for m, (parent, relation) in sorted(cluster.joined.items())
        },
        "links": [
            link_record(link)
            for link in sorted(cluster.links, key=lambda k: (k.a, k.b, k.relation))
        ],
    }


# Characters that line readers other than JSON's own take for line ends (Python's
# str.splitlines, JavaScript before ES2019): written escaped, so a record is one line for all.
_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def dumps_jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    """Canonical JSONL: keys in a fixed order, UTF-8, one record a line. (A file name that is
    not UTF-8 is written with U+FFFD for its undecodable bytes.)"""
    return b"".join(
        _utf8(json.dumps(r, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS))
        + b"\n"
        for r in records
    )


def _utf8(line: str) -> bytes:
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: encoded once more, with it replaced
        return without_surrogates(line).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, fsync, rename over it, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would hide the output from readers
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        sync_directory(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_id(articles: bytes, when: datetime | None = None, after: str | None = None) -> str:
    """Sortable and unique per run: ``YYYYMMDDTHHMMSSZ-<hash of the articles>-<random>``.

    ``after``: the newest run id of the output folder. The time stamp is the run's time, or one
    second after that run's when it is not later (two runs in one second, a clock set back), so
    the folders of one output folder sort in the order of their runs. The random part tells
    apart two runs that write the same articles in the same second to two output folders (two
    processes on one Redis state): the state records the one that committed, and the other's
    leftovers must not pass for it.
    """
    return _new_id(_digest(articles), when, after)


def _new_id(digest: str, when: datetime | None, after: str | None) -> str:
    """``run_id`` for articles of hash ``digest``."""
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    if after is not None:
        with contextlib.suppress(ValueError):
            newest = datetime.strptime(after[:_STAMP_LEN], _STAMP).replace(tzinfo=UTC)
            moment = max(moment, newest + timedelta(seconds=1))
    return f"{moment.strftime(_STAMP)}-{digest}-{secrets.token_hex(3)}"


def newest_run(out_dir: Path) -> str | None:
    """The id of the newest run published to ``out_dir``, or None."""
    try:
        names = [p.name for p in (out_dir / RUNS).iterdir() if _RUN_NAME.fullmatch(p.name)]
    except FileNotFoundError:
        return None
    return max(names, default=None)


def _digest(articles: bytes) -> str:
    return hashlib.sha1(articles).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Staged:
    """A run's outputs, written but not yet published (``OUT/.pending-RUN_ID/``)."""

    run_id: str
    folder: Path


def stage_outputs(
    out_dir: Path,
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    state_id: str,
    when: datetime | None = None,
) -> Staged | None:
    """Write this run's new articles and changed clusters where no reader looks yet; None when
    there is nothing new. ``state_id``: the state the run commits to (``Index.state_id``);
    ``when`` (default: now) stamps the run id.

    The state is committed, with the run id recorded (``Index.record_run``), between this and
    ``publish``: a run stopped before the commit leaves a folder that the next run discards
    (its articles are not in the state, and will be written again), one stopped after it a
    folder that the next run publishes.
    """
    if not docs:
        return None
    articles = dumps_jsonl(article_record(d) for d in sorted(docs, key=lambda d: d.id))
    cluster_lines = dumps_jsonl(
        cluster_record(c) for c in sorted(clusters, key=lambda c: c.cluster_id)
    )
    rid = run_id(articles, when, newest_run(out_dir))
    folder = out_dir / f"{PENDING}{rid}"
    write_atomic(folder / STATE_ID, state_id.encode("ascii"))  # first: the folder is that state's
    write_atomic(folder / CLUSTERS, cluster_lines)
    write_atomic(folder / ARTICLES, articles)  # last: a folder without it is incomplete
    sync_directory(out_dir)  # the folder's own name, before the commit records the run
    return Staged(rid, folder)


def publish(out_dir: Path, staged: Staged) -> str:
    """Make a staged run the newest and record it under ``runs/``; returns the run id."""
    # The newest files first: if we die before the rename, the next run finds the staged
    # folder, finds the run recorded in the state and publishes it again (these writes repeat).
    # Articles before clusters: a reader between the two sees no cluster naming an article
    # that articles.jsonl does not hold yet.
    write_atomic(out_dir / ARTICLES, (staged.folder / ARTICLES).read_bytes())
    write_atomic(out_dir / CLUSTERS, (staged.folder / CLUSTERS).read_bytes())
    final = out_dir / RUNS / staged.run_id
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # the same run, published before by a run that stopped after it
        shutil.rmtree(final)
    os.replace(staged.folder, final)
    sync_directory(out_dir)
    sync_directory(final.parent)
    # a run's folder holds its two files only (one left by a stop just here: recover_outputs)
    (final / STATE_ID).unlink(missing_ok=True)
    sync_directory(final)
    return staged.run_id


def recover_outputs(
    out_dir: Path,
    recorded: Callable[[list[str]], set[str]],
    state_id: str,
    published: list[str] | None = None,
) -> list[str]:
    """Settle what runs stopped between staging and publishing left in ``out_dir``, and remove
    the temporary files of interrupted writes. ``recorded(run_ids)``: the runs the state says
    committed (``Index.recorded_runs``); ``state_id``: that state's id. A folder staged for
    another state is left as it is: this state cannot tell whether that one saved it. A saved
    run published after newer runs of another state gets a new id, later than theirs. Returns
    what was done, to log; ``published`` receives the ids of the runs it published.

    Only safe while this process holds the output directory's lock.
    """
    done: list[str] = []
    folders = []
    for folder in sorted(out_dir.glob(f"{PENDING}*")):
        staged_for = _staged_for(folder)
        if staged_for in (None, state_id):  # None: staged before folders carried the id
            folders.append(folder)
        else:
            done.append(
                f"left {folder} as it is: it was staged for another grouping state (id "
                f"{staged_for}), which alone can tell whether it was saved; a run with that "
                "state settles it"
            )
    saved = recorded([f.name.removeprefix(PENDING) for f in folders]) if folders else set()
    for folder in folders:
        staged = Staged(folder.name.removeprefix(PENDING), folder)
        whole = (folder / CLUSTERS).is_file() and _matches_its_id(folder / ARTICLES, staged)
        if staged.run_id not in saved:
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"discarded run {staged.run_id}, never saved: a rerun redoes it")
        elif whole:
            newest = newest_run(out_dir)
            staged_as = staged.run_id
            if (
                newest is not None
                and staged_as < newest
                and not (out_dir / RUNS / staged_as).exists()
            ):
                # Runs of another state were published since: as the newest, under a new id,
                # so that a reader who goes by the last id read does not pass it by.
                # (The hash of its articles stays: the id's second part.)
                staged = Staged(_new_id(staged_as.split("-")[1], None, newest), folder)
            publish(out_dir, staged)
            renamed = f" (staged as {staged_as})" if staged.run_id != staged_as else ""
            done.append(f"published run {staged.run_id}{renamed}, saved by a run that stopped")
            if published is not None:
                published.append(staged.run_id)
        else:  # saved, but its files were damaged since: keep them for a person to look at
            kept = folder.with_name(f"{DAMAGED}{staged.run_id}")
            os.replace(folder, kept)
            done.append(
                f"run {staged.run_id} was saved, but its staged files are damaged: not "
                f"published, kept in {kept}"
            )
    for name in (ARTICLES, CLUSTERS):
        for tmp in out_dir.glob(f".{name}.*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)
            done.append(f"removed {tmp}, left by an interrupted write")
    for left in out_dir.glob(f"{RUNS}/*/{STATE_ID}"):  # published by a run that stopped there
        left.unlink(missing_ok=True)
    return done


def _staged_for(folder: Path) -> str | None:
    try:
        return (folder / STATE_ID).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _matches_its_id(articles: Path, staged: Staged) -> bool:
    """Whether ``articles`` is what the run staged: its hash is the run id's second part."""
    try:
        data = articles.read_bytes()
    except OSError:
        return False
    parts = staged.run_id.split("-")
    return len(parts) >= 2 and parts[1] == _digest(data)
