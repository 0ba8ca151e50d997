"""Connecting to the Redis server a state URL names: ``redis://``, ``rediss://``, ``unix://``."""

from __future__ import annotations

import inspect
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.connection import (
    URL_QUERY_ARGUMENT_PARSERS,
    SSLConnection,
    UnixDomainSocketConnection,
    parse_url,
)
from redis.retry import Retry

from pipeline.errors import NewsdedupError

# What a URL may set: its own parts, and the query options redis-py converts to their types
# (others would reach redis.Redis() as raw strings: "?retry=3", "?decode_responses=false").
# redis-py's "timeout" is not a client option at all.
_URL_OPTIONS = frozenset(
    {"host", "port", "db", "username", "password", "path", "connection_class"}
) | (frozenset(URL_QUERY_ARGUMENT_PARSERS) - {"timeout"})
# rediss:// takes the TLS options too, as strings (file names, "required"/"none").
_TLS_OPTIONS = frozenset(
    p for p in inspect.signature(redis.Redis.__init__).parameters if p.startswith("ssl_")
)
_PROBE_TIMEOUT = 10.0  # seconds for the server's first answer
# What servers answer a client that did not authenticate (the wording differs by version).
_NO_AUTH = re.compile(r"NOAUTH|authenticat", re.IGNORECASE)
# The database of a redis:// or rediss:// URL: its path is empty, "/" or "/N".
_DB_PATH = re.compile(r"/?[0-9]*")
_QUERY_PASSWORD = re.compile(r"((?:^|&)password=)[^&]*", re.IGNORECASE)


def redacted(url: str) -> str:
    """``url`` as it may be shown: its password replaced with ``***``, in the address or in
    the query (``?password=``)."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            user = parts.username or ""
            host = parts.netloc.rpartition("@")[2]
            parts = parts._replace(netloc=f"{user}:***@{host}")
        parts = parts._replace(query=_QUERY_PASSWORD.sub(r"\1***", parts.query))
        return urlunsplit(parts)
    except ValueError:
        return "the Redis URL given"  # too damaged to tell its password apart


def connection_kwargs(url: str) -> tuple[dict[str, Any], str]:
    """``redis.Redis`` keyword arguments for ``url``, and where it points, for messages (never
    the password)."""
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() != "unix":
            if not _DB_PATH.fullmatch(parts.path):
                raise ValueError(
                    f"the path must be a database number (/0, /1, ...), not {parts.path!r}"
                )
            if "db" in parse_qs(parts.query):  # redis-py would let it win over the path
                raise ValueError("give the database as the path (/N), not as ?db=")
        kwargs: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        allowed = _URL_OPTIONS | (_TLS_OPTIONS if parts.scheme.lower() == "rediss" else set())
        unknown = sorted(set(kwargs) - allowed)
        if unknown:  # redis-py passes query options on as they are; Redis() would raise
            raise ValueError(f"unknown option {unknown[0]!r}")
    except ValueError as err:
        shown = redacted(url)
        message = str(err).replace(url, shown)
        raise NewsdedupError(f"bad Redis URL {shown!r}: {message}") from None
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
    # A few quick retries ride out a dropped connection; a server that is gone fails in
    # seconds. Not a timeout: each retry would wait socket_timeout again, for a server that
    # stopped answering.
    kwargs.setdefault(
        "retry",
        Retry(ExponentialBackoff(cap=1.0, base=0.1), 3, supported_errors=(redis.ConnectionError,)),
    )
    return kwargs, where


def connect(url: str) -> tuple[redis.Redis, dict[str, Any], str]:
    """A client for ``url`` that has answered a PING, its keyword arguments, and where."""
    kwargs, where = connection_kwargs(url)
    # The first answer is awaited briefly and once: the long timeout and the retries are for
    # big batches on a live server, not for one that accepts connections and never answers.
    probe = redis.Redis(
        **{**kwargs, "socket_timeout": _PROBE_TIMEOUT, "retry": Retry(NoBackoff(), 0)}
    )
    try:
        probe.ping()
    except redis.RedisError as err:
        if not kwargs.get("password") and _NO_AUTH.search(str(err)):
            raise NewsdedupError(
                f"Redis at {where} requires a password: give it in the URL "
                "(redis://:PASSWORD@HOST:PORT/DB)"
            ) from None
        hint = ""
        if kwargs.get("ssl") and isinstance(err, redis.TimeoutError):
            hint = " (a rediss:// URL: is the server serving TLS?)"
        raise NewsdedupError(f"cannot connect to Redis at {where}: {err}{hint}") from None
    finally:
        probe.close()
    return redis.Redis(**kwargs), kwargs, where
