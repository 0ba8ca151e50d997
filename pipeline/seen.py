"""The seen-URL store: which article URLs earlier runs have already emitted.

A crawl reads it to skip article pages it has already emitted; the item pipeline writes to it
only after the run's outputs are committed, so a killed run never marks an unwritten article as
seen. URLs are compared in canonical form (``pipeline.document.canonical_url``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Protocol

from pipeline.config import is_remote_state
from pipeline.document import canonical_url
from pipeline.errors import NewsdedupError

FILENAME = "seen.sqlite"


class SeenStore:
    """A set of canonical URLs in a SQLite file inside the state directory."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, state_dir: str | Path) -> SeenStore:
        """Open (creating if needed) the store in ``state_dir``."""
        path = Path(state_dir) / FILENAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A crawl's reader and the item pipeline's writer may be open at once; wait for
            # the other's short transaction instead of failing.
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS seen (url TEXT PRIMARY KEY) WITHOUT ROWID")
        except (OSError, sqlite3.Error) as err:
            raise NewsdedupError(f"cannot open the seen-URL store {path}: {err}") from None
        return cls(conn, path)

    def contains(self, url: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM seen WHERE url = ?", (canonical_url(url),)
        ).fetchone()
        return row is not None

    def add(self, urls: Iterable[str]) -> None:
        """Record ``urls`` in one transaction: after a crash either all are stored or none."""
        rows = [(canonical_url(u),) for u in urls if u]
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT OR IGNORE INTO seen (url) VALUES (?)", rows)

    def __len__(self) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM seen").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SeenStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class UrlStore(Protocol):
    """What the crawl and the item pipeline need of a seen-URL store, local or in Redis."""

    def contains(self, url: str) -> bool: ...

    def add(self, urls: Iterable[str]) -> None: ...

    def close(self) -> None: ...


def open_seen(state: str) -> UrlStore:
    """The seen-URL store of a state: a SQLite file in a state directory, or a Redis set."""
    if is_remote_state(state):
        from pipeline.redis_seen import RedisSeenStore

        return RedisSeenStore.open(state)
    return SeenStore.open(Path(state))
