"""A TCP proxy on 127.0.0.1 in front of the test Redis server that disturbs one transaction.

It passes every byte through, except for the first transaction (``MULTI`` ... ``EXEC``) that
names ``marker``:

- ``"drop_reply"``: the transaction reaches the server, which applies it, and the connection is
  then closed before its reply gets back (a network blip at the worst moment);
- ``"drop_request"``: the connection is closed before the transaction reaches the server,
  which never sees it (a network blip before the commit);
- ``"slow"``: the transaction is held back for as long as sending it at ``rate`` bytes per
  second would take (a slow link).

``close()`` stops it: its connections are closed, and new ones to its port refused.
"""

from __future__ import annotations

import socket
import threading
import time

_MULTI = b"$5\r\nMULTI\r\n"
_EXEC = b"$4\r\nEXEC\r\n"


class RedisProxy:
    def __init__(
        self, port: int, mode: str, marker: bytes, rate: float = 0.0, then_close: bool = False
    ) -> None:
        """``then_close``: with ``"drop_reply"``, stop at once after dropping the reply (the
        server stays out of reach)."""
        self.target = ("127.0.0.1", port)
        self.mode, self.marker, self.rate, self.then_close = mode, marker, rate, then_close
        self.triggered = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._open: list[socket.socket] = []  # every connection, both sides
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        self._closed = True
        _shut(self._listener, *self._open)  # shutdown() ends a blocked accept(); close() would not

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._open += (client, server)
            swallow = threading.Event()
            threading.Thread(target=self._up, args=(client, server, swallow), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, swallow), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, swallow: threading.Event) -> None:
        held = b""
        while True:
            try:
                data = client.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                _shut(client, server)
                return
            if not self.triggered.is_set() and (held or _MULTI in data):
                held += data
                if _EXEC not in held:
                    continue
                data, held = held, b""
                if self.marker in data:
                    self.triggered.set()
                    if self.mode == "slow":
                        time.sleep(len(data) / self.rate)
                    elif self.mode == "drop_request":
                        _shut(client, server)
                        return
                    else:
                        swallow.set()
            try:
                server.sendall(data)
            except OSError:
                _shut(client, server)
                return

    def _down(self, server: socket.socket, client: socket.socket, swallow: threading.Event) -> None:
        while True:
            try:
                data = server.recv(1 << 16)
            except OSError:
                data = b""
            if not data or swallow.is_set():
                if swallow.is_set() and self.then_close:
                    self.close()  # first: the client must find nobody when it calls again
                _shut(client, server)  # the reply (if any) never reaches the client
                return
            try:
                client.sendall(data)
            except OSError:
                _shut(client, server)
                return


def _shut(*socks: socket.socket) -> None:
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
