"""The seen-URL store in Redis: which article URLs earlier runs emitted, shared by every crawl.

The same contract as ``pipeline.seen.SeenStore`` (canonical URLs; the item pipeline adds only
after the run's outputs are committed, so a killed run marks nothing it lost), kept in the set
``newsdedup:seen`` of the grouping state's Redis database.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

import redis

from pipeline.document import canonical_url
from pipeline.errors import NewsdedupError
from pipeline.group.redis_connect import connect
from pipeline.group.redis_index import PREFIX

KEY = PREFIX + b"seen"
_BATCH = 10_000  # members per SADD


class RedisSeenStore:
    """A set of canonical URLs in Redis."""

    def __init__(self, client: redis.Redis, where: str) -> None:
        self._client = client
        self.where = where

    @classmethod
    def open(cls, url: str) -> RedisSeenStore:
        """Connect to the store of the Redis state at ``url`` (``redis://HOST:PORT/DB``)."""
        client, _, where = connect(url)
        return cls(client, where)

    def _fail(self, err: redis.RedisError) -> NewsdedupError:
        return NewsdedupError(f"lost the connection to Redis at {self.where}: {err}")

    def contains(self, url: str) -> bool:
        try:
            return bool(self._client.sismember(KEY, canonical_url(url)))
        except redis.RedisError as err:
            raise self._fail(err) from None

    def add(self, urls: Iterable[str]) -> None:
        """Record ``urls`` in one transaction: after a crash either all are stored or none."""
        members = sorted({canonical_url(u) for u in urls if u})
        if not members:
            return
        try:
            with self._client.pipeline(transaction=True) as pipe:
                for i in range(0, len(members), _BATCH):
                    pipe.sadd(KEY, *members[i : i + _BATCH])
                pipe.execute()
        except redis.RedisError as err:
            raise self._fail(err) from None

    def __len__(self) -> int:
        try:
            return int(self._client.scard(KEY))
        except redis.RedisError as err:
            raise self._fail(err) from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RedisSeenStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
