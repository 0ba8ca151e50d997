"""The Redis adapter's write lock: one writer at a time per state, across processes and hosts.

A lease: ``SET key token NX PX ttl``, renewed by a daemon thread while held, released only by
its holder (compare-and-delete). A holder that dies stops renewing, so the lease ends within
``ttl`` and the next writer cleans up after it. A holder that stalls longer than ``ttl`` loses
the lease; its commit checks the token under ``WATCH`` and refuses (see ``RedisIndex.commit``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class LockLost(Exception):
    """The lease ended while this process still needed it."""


class RedisLock:
    """A renewed lease on ``key``. Not reentrant; ``acquire`` blocks until the key is free."""

    def __init__(self, client: redis.Redis, key: bytes, ttl: float = 30.0) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1, int(ttl * 1000))
        self.token = f"{socket.gethostname()} pid {os.getpid()} {secrets.token_hex(4)}".encode()
        self.held = False
        # Held around every renewal: a commit that WATCHes the key takes it so that its own
        # renewal does not look like another writer.
        self.mutex = threading.Lock()
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost = False

    def acquire(self, on_wait: Callable[[bytes | None], None] | None = None) -> None:
        delay, waited_since, told = 0.02, time.monotonic(), -1.0
        while not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            now = time.monotonic()
            if now - told >= 30.0:
                holder = self.client.get(self.key)
                if isinstance(holder, str):
                    holder = holder.encode()
                log.info(
                    "waiting for the grouping lock held by %s (%.0f s so far)",
                    holder.decode("utf-8", "replace") if holder else "nobody",
                    now - waited_since,
                )
                if on_wait is not None:
                    on_wait(holder)
                told = now
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        self.held = True
        self._lost = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._keep, name="newsdedup-lock", daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                with self.mutex:
                    ok = self._renew(keys=[self.key], args=[self.token, self.ttl_ms])
            except redis.RedisError as err:
                # The next round may reach the server again; the commit checks the token anyway
                # (and a server gone for good ends the run with its own error).
                log.info("could not renew the grouping lock: %s", err)
                continue
            if not ok:
                self._lost = True
                log.warning("the grouping lock expired while held; this run cannot commit")
                return

    def renew(self, ttl_ms: int | None = None) -> None:
        """Extend the lease to a full ``ttl`` (or ``ttl_ms``) now (call with ``mutex`` held),
        or raise."""
        ttl = max(self.ttl_ms, ttl_ms or 0)
        if self._lost or not self._renew(keys=[self.key], args=[self.token, ttl]):
            self._lost = True
            raise LockLost(self.key.decode("utf-8", "replace"))

    @property
    def lost(self) -> bool:
        """The lease ended while held (seen by the renewal thread)."""
        return self._lost

    def owned(self) -> bool:
        return self.held and not self._lost and self.client.get(self.key) == self.token

    def _stop_renewing(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def release(self) -> None:
        """Give the lease up (a no-op when not held). Stops renewing even when the server
        cannot be reached, so that the lease then ends by itself."""
        if not self.held:
            return
        self.held = False
        self._stop_renewing()
        self._release(keys=[self.key], args=[self.token])

    def abandon(self) -> None:
        """Stop renewing without telling the server: the lease ends within ``ttl``."""
        self.held = False
        self._stop_renewing()
