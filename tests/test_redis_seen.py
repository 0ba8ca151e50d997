"""The seen-URL store in Redis keeps the SQLite store's contract."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import pytest
from redis_server import RedisServer

from pipeline.errors import NewsdedupError
from pipeline.redis_seen import RedisSeenStore
from pipeline.seen import SeenStore


class Store(Protocol):
    def contains(self, url: str) -> bool: ...
    def add(self, urls: Iterable[str]) -> None: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    if request.param == "sqlite":
        return lambda: SeenStore.open(tmp_path)
    url = request.getfixturevalue("redis_url")
    return lambda: RedisSeenStore.open(url)


def test_urls_are_kept_in_canonical_form_across_reopen(open_store: Callable[[], Store]) -> None:
    store: Store = open_store()
    try:
        assert len(store) == 0
        store.add(["https://Example.com/news/a?utm_source=x", "https://example.com/news/b", ""])
        store.add(["https://example.com/news/b"])
    finally:
        store.close()
    store = open_store()
    try:
        assert len(store) == 2
        assert store.contains("https://example.com/news/a")
        assert store.contains("https://EXAMPLE.com/news/b")
        assert not store.contains("https://example.com/news/c")
    finally:
        store.close()


def test_an_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(NewsdedupError, match=r"^cannot connect to Redis at 127\.0\.0\.1:1: "):
        RedisSeenStore.open("redis://127.0.0.1:1/0")


def test_a_lost_server_is_one_clear_line(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    store = RedisSeenStore.open(server.url())
    try:
        store.add(["https://example.com/news/a"])
        server.stop()
        with pytest.raises(NewsdedupError, match=r"^lost the connection to Redis at 127\.0\.0\.1:"):
            store.contains("https://example.com/news/a")
        server.start()
        assert store.contains("https://example.com/news/a")  # acknowledged writes survive
    finally:
        store.close()
        server.stop()
