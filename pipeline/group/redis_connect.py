"""Connecting to the Redis server a state URL names: ``redis://``, ``rediss://``, ``unix://``."""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.retry import Retry

from pipeline.errors import NewsdedupError


def connection_kwargs(url: str) -> tuple[dict[str, Any], str]:
    """``redis.Redis`` keyword arguments for ``url``, and where it points, for messages (never
    the password)."""
    try:
        kwargs: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError as err:
        raise NewsdedupError(f"bad Redis URL {url!r}: {err}") from None
    cls = kwargs.pop("connection_class", None)
    if cls is not None and issubclass(cls, UnixDomainSocketConnection):
        kwargs["unix_socket_path"] = kwargs.pop("path")
        where = str(kwargs["unix_socket_path"])
    else:
        if cls is not None and issubclass(cls, SSLConnection):
            kwargs["ssl"] = True
        where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    kwargs.setdefault("socket_connect_timeout", 5.0)
    kwargs.setdefault("socket_timeout", 120.0)
    # A few quick retries ride out a dropped connection; a server that is gone fails in seconds.
    kwargs.setdefault("retry", Retry(ExponentialBackoff(cap=1.0, base=0.1), 3))
    return kwargs, where


def connect(url: str) -> tuple[redis.Redis, dict[str, Any], str]:
    """A client for ``url`` that has answered a PING, its keyword arguments, and where."""
    kwargs, where = connection_kwargs(url)
    client = redis.Redis(**kwargs)
    try:
        client.ping()
    except redis.RedisError as err:
        client.close()
        raise NewsdedupError(f"cannot connect to Redis at {where}: {err}") from None
    return client, kwargs, where
