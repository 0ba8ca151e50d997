"""One run: accept processed documents and drops, group the new ones, write, account for all.

The CLI and the Scrapy item pipeline both drive a ``Run``, so they write the same outputs.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

from pipeline.config import CleanConfig, Config, holds_state, is_remote_state
from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError
from pipeline.group import Index, group, open_index
from pipeline.lock import OutputLock, StateLock
from pipeline.logonce import OncePerKind
from pipeline.output import RUNS, publish, recover_outputs, stage_outputs
from pipeline.process import process_or_drop

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunSummary:
    """What happened to every input. ``seen == written + known + sum(dropped)`` always."""

    seen: int = 0
    written: int = 0
    known: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)
    clusters: int = 0
    run_id: str | None = None
    # Runs that stopped after saving, whose files this one published.
    recovered: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.seen == self.written + self.known + sum(self.dropped.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "written": self.written,
            "known": self.known,
            "dropped": dict(sorted(self.dropped.items())),
            "relations": dict(sorted(self.relations.items())),
            "clusters": self.clusters,
            "run_id": self.run_id,
            "recovered": list(self.recovered),
        }

    def render(self, skipped_seen: int = 0, listing_pages: int = 0) -> str:
        """The summary as the log shows it. ``skipped_seen``: a crawl's pages it did not fetch
        since an earlier run emitted them (not in ``seen``); ``listing_pages``: the pages a
        crawl judged index or listing pages; no line for either when there are none."""
        lines = [
            f"seen      {self.seen}",
            f"written   {self.written}",
            f"known     {self.known}  (already written by an earlier run)",
            f"dropped   {sum(self.dropped.values())}",
        ]
        lines += [f"  dropped/{reason}  {n}" for reason, n in sorted(self.dropped.items())]
        if skipped_seen:
            lines.append(
                f"skipped (seen)  {skipped_seen}  (emitted by an earlier run: not fetched again, "
                "not in seen)"
            )
        if listing_pages:
            lines.append(
                f"listing pages  {listing_pages}  (judged index or listing pages: not articles, "
                "their links followed)"
            )
        lines.append(f"clusters  {self.clusters}  (new or changed in this run)")
        lines += [f"  {relation}  {n}" for relation, n in sorted(self.relations.items())]
        if self.run_id:
            lines.append(f"run       {self.run_id}")
        elif self.recovered:
            lines.append(
                f"nothing new in this run; it published {', '.join(self.recovered)}, saved by "
                "a run that stopped"
            )
        else:  # a crawl whose pages were all seen before yields no items at all
            lines.append("nothing new: outputs left as they were")
        return "\n".join(lines)


def _process_or_drop(item: Document | Drop, cfg: CleanConfig) -> Document | Drop:
    return item if isinstance(item, Drop) else process_or_drop(item, cfg)


class _Worker:
    """Picklable callable for the process pool (a lambda or closure would not be)."""

    def __init__(self, cfg: CleanConfig) -> None:
        self.cfg = cfg

    def __call__(self, item: Document | Drop) -> Document | Drop:
        return _process_or_drop(item, self.cfg)


def _process_chunk(worker: _Worker, chunk: list[Document | Drop]) -> list[Document | Drop]:
    return [worker(item) for item in chunk]


_DIGITS = re.compile(r"([0-9]+)")
_CHUNK = 8  # items per task: amortises the pickling round trip of one page
_AHEAD = 4  # unfinished chunks per worker: keeps the workers busy while one chunk is slow
_HELD = 32  # finished chunks per worker held behind a slow one before reading stops


def _chunks(items: Iterable[Document | Drop]) -> Iterator[list[Document | Drop]]:
    it = iter(items)
    while chunk := list(islice(it, _CHUNK)):
        yield chunk


def process_all(
    items: Iterable[Document | Drop], cfg: CleanConfig, workers: int = 1
) -> Generator[Document | Drop, None, None]:
    """Run the per-document steps, in ``workers`` processes when more than one.

    Results come back in input order either way, so the run does not depend on scheduling.
    The input is read as it is processed: ``workers * _AHEAD`` chunks are queued or running at
    a time, so a slow page holds up only its own chunk, and at most ``workers * _HELD``
    finished chunks wait behind it. A worker process that dies (killed, out of memory, a
    crash in a C extension) ends the run with a ``NewsdedupError`` before anything is written,
    where ``multiprocessing.Pool`` would wait for its lost task forever. Closing the generator
    early, or an error in the input, stops the workers at once, and a worker whose parent
    died exits within a second.
    """
    worker = _Worker(cfg)
    if workers <= 1:
        yield from map(worker, items)
        return
    ctx = multiprocessing.get_context("fork")
    others = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_exit_with_parent, initargs=(os.getpid(),)
    )
    finished = False
    try:
        pending: deque[Future[list[Document | Drop]]] = deque()
        for chunk in _chunks(items):
            pending.append(pool.submit(_process_chunk, worker, chunk))
            while True:
                while pending and pending[0].done():
                    yield from pending.popleft().result()
                running = [f for f in pending if not f.done()]
                if len(running) < workers * _AHEAD and len(pending) < workers * _HELD:
                    break
                wait(running, return_when=FIRST_COMPLETED)
        while pending:
            yield from pending.popleft().result()
        finished = True
    except BrokenProcessPool as err:
        raise NewsdedupError(
            "a worker process died (killed or out of memory?); nothing was written: "
            "rerun, or use --workers 1 to see which input fails"
        ) from err
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop_now(pool, others)


def _stop_now(pool: ProcessPoolExecutor, others: set[Any]) -> None:
    """Stop a pool whose run ended early (an error, the consumer gone): the queued pages are
    not wanted, and a page still being worked on may take any time. ``others`` are the child
    processes that were there before the pool, and are left alone."""
    results = getattr(pool, "_result_queue", None)
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    mine = set(multiprocessing.active_children()) - others
    for process in mine:
        process.terminate()
    for process in mine:
        process.join(5)
        if process.is_alive():
            process.kill()
    if manager is not None:
        # A worker killed halfway through sending a large result leaves the pool's reader
        # thread waiting for the rest, and the interpreter joins that thread at exit: end the
        # message for it (the workers, the other writers, are gone).
        manager.join(1)
        if manager.is_alive() and results is not None:
            results._writer.close()
            manager.join(5)


PROBE_PREFIX = ".newsdedup-probe-"
EARLIER_DEFAULT_STATE = Path("output", "state")


def _note_an_earlier_default_state(cfg: Config) -> None:
    """Up to 0.1, the state was ``output/state`` whatever ``--out`` said; it is now ``state/``
    in the output directory. A run that would start a new state in an output directory that
    earlier runs wrote to (its ``runs/``) while the old default holds one is most likely meant
    to go on with it: say so, before the run writes anything. A new output directory says
    nothing: it is one more place to write to, not an upgrade."""
    state = Path(cfg.state)
    if (
        state == cfg.out_dir / "state"
        and not holds_state(state)
        and holds_state(EARLIER_DEFAULT_STATE)
        and EARLIER_DEFAULT_STATE.resolve() != state.resolve()
        and _has_runs(cfg.out_dir)
    ):
        log.warning(
            "starting a new state in %s, while %s holds the state of earlier runs (the state "
            "used to be there whatever the output directory; it is now state/ inside it): to go "
            "on with it, stop this run and give --state %s (Scrapy: -s NEWSDEDUP_STATE=%s)",
            state,
            EARLIER_DEFAULT_STATE,
            EARLIER_DEFAULT_STATE,
            EARLIER_DEFAULT_STATE,
        )


def _has_runs(out_dir: Path) -> bool:
    try:
        return any((out_dir / RUNS).iterdir())
    except OSError:  # no runs/ (or not a folder): nothing written there yet
        return False


def _must_be_writable(path: Path, what: str) -> None:
    """``path`` is a directory this process can write in, or can create: a clear error now
    rather than a traceback after all the work. Leaves nothing behind."""
    try:
        existing = next(place for place in (path, *path.parents) if place.exists())
        if not existing.is_dir():
            if existing == path:
                raise NewsdedupError(f"{what} {path} is a file, not a directory")
            raise NewsdedupError(f"{what} {path} cannot be made: {existing} is a file")
        if existing == path:
            fd, probe = tempfile.mkstemp(dir=path, prefix=PROBE_PREFIX)
            os.close(fd)
            # missing_ok: a run that holds the directory sweeps probes a killed run left
            Path(probe).unlink(missing_ok=True)
        else:  # the first directory to create: can it be?
            first = existing / path.relative_to(existing).parts[0]
            try:
                first.mkdir()
            except FileExistsError:
                return  # another run (started at the same moment) made it
            with contextlib.suppress(OSError):  # that other run may be writing in it already
                first.rmdir()
    except OSError as err:
        raise NewsdedupError(f"cannot write to {what} {path}: {_why(err)}") from None


def source_order(source: str) -> tuple[tuple[str | tuple[int, str], ...], str]:
    """Sort key of a source, numbers by value: ``a.jsonl:5`` before ``a.jsonl:14``, the
    fifth line before the fourteenth (``x2.html`` before ``x10.html`` alike)."""
    parts = _DIGITS.split(source)  # text, digits, text, ...: the same kind at each position
    # A number by its length without leading zeros, then its digits: by value, at any length.
    return tuple(
        (len(p.lstrip("0")), p.lstrip("0")) if i % 2 else p for i, p in enumerate(parts)
    ), source


def _to_make(path: Path) -> list[Path]:
    """``path`` and its parents that do not exist yet."""
    return [place for place in (path, *path.parents) if not place.exists()]


def _why(err: BaseException) -> str:
    return str(err.strerror) if isinstance(err, OSError) and err.strerror else str(err)


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker whose parent is gone (killed, say) has no one to report to;
    it exits rather than finish its queue."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="newsdedup-parent-watch", daemon=True).start()


class Run:
    """Collect a run's documents, then group and write them in one step at ``finish``.

    Grouping sees the whole batch at once, which is what makes the output independent of input
    order. Holding the state lock for the whole run refuses an overlapping run of the same job.
    """

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.summary = RunSummary()
        self._docs: dict[str, Document] = {}
        self._lock: StateLock | None = None
        self._out_lock: OutputLock | None = None
        self._state_id = ""  # the state's own id, read when the run opens
        self._warn = OncePerKind(log, " (further cases are counted, logged with -v)")
        self._index: Index | None = None
        # Called once the run is saved and published, with its articles the state holds, new
        # and already known (a crawl remembers their URLs; a crawl stopped before this
        # remembers them on its next run, where they are known).
        self.on_saved: list[Callable[[list[Document]], None]] = []
        # Called just before the state is committed: from there on the run cannot be undone.
        self.before_commit: list[Callable[[], None]] = []

    def open(self) -> Run:
        # Checked before any work, not found out when the outputs are written.
        _must_be_writable(self.cfg.out_dir, "the output directory")
        local = not is_remote_state(self.cfg.state)
        if local:
            _must_be_writable(Path(self.cfg.state), "the state directory")
            _note_an_earlier_default_state(self.cfg)
        made = _to_make(self.cfg.out_dir) + (_to_make(Path(self.cfg.state)) if local else [])
        try:
            if local:
                self._lock = StateLock(Path(self.cfg.state))
                self._lock.acquire()
            self._out_lock = OutputLock(self.cfg.out_dir)
            self._out_lock.acquire()
            self._index = open_index(self.cfg.state, self.cfg.group)
            self._settle(local)
        except BaseException:
            self._abandon(made)
            raise
        return self

    def _abandon(self, made: list[Path]) -> None:
        """Close a run refused as it opened (an unreachable Redis, say), removing the folders
        it made for itself when they hold nothing but its lock files."""
        if self._index is not None:
            self._index.close()
            self._index = None
        for lock in (self._out_lock, self._lock):
            if lock is not None and lock.path.parent in made:
                lock.discard()
        self.close()
        for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: another run's, or holding a state
                folder.rmdir()

    def _settle(self, local: bool) -> None:
        """Finish or undo what a run stopped part way left (see ``pipeline.output``)."""
        index = self._index
        assert index is not None
        try:
            self._state_id = index.state_id()
            for what in recover_outputs(
                self.cfg.out_dir, index.recorded_runs, self._state_id, self.summary.recovered
            ):
                log.warning("%s", what)
            for place in [self.cfg.out_dir] + ([Path(self.cfg.state)] if local else []):
                for probe in place.glob(f"{PROBE_PREFIX}*"):
                    probe.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as err:
            raise NewsdedupError(
                f"cannot settle what an earlier run left in {self.cfg.out_dir}: {_why(err)}"
            ) from None

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._out_lock is not None:
            self._out_lock.release()
            self._out_lock = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Run:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def drop(self, drop: Drop) -> None:
        self.summary.seen += 1
        self._log_drop(drop.reason, "%s", drop)

    def _log_drop(self, reason: str, message: str, *args: object) -> None:
        """Count a drop; log the run's first of each reason as a warning, the rest at info
        (shown with ``-v``)."""
        self.summary.dropped[reason] += 1
        self._warn(reason, message, *args)

    def count_drops(self, reason: str, count: int) -> None:
        """Inputs dropped before they reached the run (by the crawler, which logged each)."""
        self.summary.seen += count
        self.summary.dropped[reason] += count

    def add(self, item: Document | Drop) -> None:
        """Account for one processed input."""
        if isinstance(item, Drop):
            self.drop(item)
            return
        self.summary.seen += 1
        earlier = self._docs.get(item.id)
        if earlier is not None:
            # The same article twice in one run (same canonical URL, or same content): keep the
            # one whose source sorts first so the choice does not depend on input order.
            keep, other = sorted((earlier, item), key=lambda d: source_order(d.source))
            self._docs[item.id] = keep
            self._log_drop(
                "duplicate_input",
                "dropped/duplicate_input %s (same id as %s)",
                other.source,
                keep.source,
            )
            return
        self._docs[item.id] = item

    def finish(self) -> RunSummary:
        """Group the new documents with the state, stage the outputs, commit the state, then
        publish the outputs (see ``pipeline.output``).

        A run that fails or is killed before the commit leaves the state and what readers see
        as they were: the next run redoes it. One that stops after the commit has its outputs
        published by the next run.
        """
        index = self._index
        if index is None:
            raise NewsdedupError("run is not open")
        docs = sorted(self._docs.values(), key=lambda d: d.id)
        known = index.known(d.id for d in docs)
        new = [d for d in docs if d.id not in known]
        self.summary.known += len(docs) - len(new)
        kept = "the state is left as it was, so a rerun redoes this run"
        try:
            result = group(new, index, self.cfg.group)
        except (OSError, sqlite3.Error) as err:  # a full disk under the state
            index.rollback()
            raise NewsdedupError(
                f"cannot update the state in {self.cfg.state}: {_why(err)}; {kept}"
            ) from None
        try:
            staged = stage_outputs(self.cfg.out_dir, new, result.clusters, self._state_id)
        except OSError as err:  # a full disk, a directory made read-only during the run
            index.rollback()
            raise NewsdedupError(
                f"cannot write the outputs to {self.cfg.out_dir}: {_why(err)}; {kept}"
            ) from None
        if staged is not None:
            index.record_run(staged.run_id)  # committed with the rest, or not at all
        for prepare in self.before_commit:
            prepare()
        try:
            index.commit()
        except (OSError, sqlite3.Error) as err:
            # The staged folder stays: the next run asks the state whether this run was
            # recorded (a failed commit may yet have been written) and settles it.
            index.rollback()
            raise NewsdedupError(
                f"cannot save the state in {self.cfg.state}: {_why(err)}; {kept}"
            ) from None
        if staged is not None:
            try:
                self.summary.run_id = publish(self.cfg.out_dir, staged)
            except OSError as err:
                raise NewsdedupError(
                    f"the state is saved, but the outputs could not be published in "
                    f"{self.cfg.out_dir}: {_why(err)}; the next run publishes them"
                ) from None
        for callback in self.on_saved:
            callback(docs)
        self.summary.written = len(new)
        self.summary.relations.update(result.relations)
        self.summary.clusters = len(result.clusters)
        self._docs.clear()
        if not self.summary.balanced:
            raise AssertionError(f"run summary does not add up: {self.summary.as_dict()}")
        return self.summary
