"""A TCP proxy to put between processes and a server they share (RabbitMQ), so a test
can cut the link without touching the server that other tests and people use."""

import selectors
import socket
import threading
from contextlib import suppress
from types import TracebackType

from shop_testing.ports import free_port


class TCPProxy:
    """Forwards 127.0.0.1:`port` to `target` until `cut()`: then every connection through
    it is closed and new ones are refused, as if the server were down, until `restore()`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._links: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def __enter__(self) -> "TCPProxy":
        self.restore()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen again (a refused connection is what a stopped server gives)."""
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and close every connection through the proxy."""
        with self._lock:
            listener, self._listener = self._listener, None
            links, self._links = self._links, set()
        if listener is not None:
            listener.close()
        for link in links:
            _close(link)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    _close(client)
                    _close(server)
                    return
                self._links.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            for end in peers:
                selector.register(end, selectors.EVENT_READ)
            while True:
                try:
                    ready = selector.select(timeout=1)
                    for key, _ in ready:
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            raise OSError("closed")
                        peers[key.fileobj].sendall(data)  # type: ignore[index]
                except (OSError, ValueError):
                    break
        for end in peers:
            _close(end)
        with self._lock:
            self._links.difference_update(peers)


def _close(end: socket.socket) -> None:
    with suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)
    end.close()
