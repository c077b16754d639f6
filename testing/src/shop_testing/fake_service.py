"""A small real HTTP server standing in for a service, for failures a real one won't give
on demand: resets, lost answers, hangs, 503 bursts, slow answers. It records what it
received, and answers from a script, from a function of the request, or by default.

    upstream = FakeService()                      # answers Reply() to everything
    upstream.script(Reply(503), Reply(reset=True))  # the next two answers, in order
    FakeService(answer=lambda request: Reply(body={"path": request.path}))
"""

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up early (as the tests make it) is no error here."""


@dataclass
class Reply:
    """One answer. `drop` closes the connection without answering, as a process that
    died after doing the work would; `reset` closes it with a RST, as a crash would."""

    status: int = 200
    body: bytes | dict | list = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    reset: bool = False

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by its name in any case, as HTTP compares them."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> dict:
        """The body as JSON; an empty body reads as `{}`."""
        return json.loads(self.body or b"{}")


class FakeService:
    """Answers each request with the next scripted reply, else `answer(request)` when
    given, else `default`. Started at once; `url` is its address; `close()` stops it."""

    def __init__(self, answer: Callable[[Received], Reply] | None = None) -> None:
        self._answer = answer
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _reply_to(self, request: Received) -> Reply:
        if self.replies:
            return self.replies.popleft()
        return self._answer(request) if self._answer else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(self.command, self.path, dict(self.headers), body)
                fake.received.append(request)
                reply = fake._reply_to(request)
                time.sleep(reply.delay)
                if reply.drop or reply.reset:
                    self.close_connection = True
                    if reply.reset:
                        # SO_LINGER 0: close with a RST.
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        self.connection.close()
                    return
                payload = reply.payload()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one

        return Handler
