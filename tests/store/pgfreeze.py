"""A TCP proxy in front of the test PostgreSQL that can freeze: it then stops passing
bytes either way and closes nothing, as a paused database host or a network path that
drops packets does (the client's kernel still sees its bytes acknowledged: the proxy's
kernel takes them). `thaw` passes what waited and goes on."""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class FreezingProxy:
    def __init__(self, upstream_dsn: str) -> None:
        parts = urlsplit(upstream_dsn)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._parts = parts
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def dsn(self, path: str | None = None) -> str:
        """The upstream URL, through this proxy (another database: `path`)."""
        user = f"{self._parts.username}@" if self._parts.username else ""
        replaced = self._parts._replace(netloc=f"{user}127.0.0.1:{self.port}")
        if path is not None:
            replaced = replaced._replace(path=path)
        return urlunsplit(replaced)

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._listener.close()
        with self._lock:
            for each in self._sockets:
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                each.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client = self._listener.accept()[0]
            except OSError:
                return
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        with self._lock:
            self._sockets.append(client)
        self._wait()  # frozen: a new connection is accepted and never answered
        if self._closed.is_set():
            return
        try:
            server = socket.create_connection(self._upstream)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.append(server)
        threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _wait(self) -> None:
        while not self._flowing.wait(0.05):
            if self._closed.is_set():
                return

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            self._wait()  # frozen: what came in waits, nothing is closed
            if not data or self._closed.is_set():
                for each in (source, target):
                    with contextlib.suppress(OSError):
                        each.shutdown(socket.SHUT_RDWR)
                return
            try:
                target.sendall(data)
            except OSError:
                return
