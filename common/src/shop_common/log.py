"""JSON-lines logging: every line names its service, request and (when known) user."""

import json
import logging
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import TextIO

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.core import LogData
from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.orjson import OrjsonFormatter

from shop_common.request_id import current_request_id

user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

request_logger = logging.getLogger("shop.request")
# How long a log line may wait to be written with the lines after it.
GATHER_SECONDS = 0.05


class ContextFilter(logging.Filter):
    """Adds `service`, `request_id` and `user_id` to every record."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = current_request_id()
        record.user_id = user_id_var.get()
        return True


class JSONFormatter(OrjsonFormatter):
    """One JSON object per line, written by orjson (half the standard encoder's time
    per request line); what orjson refuses (a lone surrogate from a client's input, an
    integer beyond 64 bits) goes through the standard encoder instead of losing the line."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False,
        )

    def jsonify_log_record(self, log_data: LogData) -> str:
        try:
            return super().jsonify_log_record(log_data)
        except TypeError:
            return json.dumps(log_data, cls=JsonEncoder)


class BackgroundStreamHandler(logging.Handler):
    """Formats a record in the thread that logs it; a thread of its own writes the lines
    gathered meanwhile, in one write, at most every `GATHER_SECONDS`.

    A plain `StreamHandler` holds its lock while it formats and writes, so a worker's
    threads queued on it for every request line. The standard library's `QueueHandler`
    and `QueueListener` fixed that but woke the writing thread for every line: under load
    the line then cost a gateway request about a fifth of its CPU (the thread's wake-up,
    the GIL passed back and forth, a write per line). Here the logging thread formats (the
    filters run there too, so the request's context is read where it is set) and appends
    the line to a deque, which is thread-safe without a lock; the writer wakes when lines
    wait, writes them all, then lets the next ones gather. A line waits at most
    `GATHER_SECONDS` plus a write. `flush()` and `close()` (at exit, `logging.shutdown`)
    write what is waiting. A forked child starts a writer and a deque of its own on its
    first line: the parent's waiting lines are not its to write.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = sys.stderr if stream is None else stream  # as `StreamHandler`
        self.lines: deque[str] = deque()
        self.waiting = threading.Event()  # set when lines may wait
        self.stopping = threading.Event()
        self.writing = threading.Lock()  # the writer's and `flush()`'s, never a logger's
        self.starting = threading.Lock()
        self.writer: threading.Thread | None = None
        self.pid = 0

    def handle(self, record: logging.LogRecord) -> bool:
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        if self.pid != os.getpid():
            self.start()
        try:
            self.lines.append(self.format(record) + "\n")
        except Exception:
            self.handleError(record)
            return
        if self.writer is None:  # closed (at exit): nothing will write it later
            self.flush()
        elif not self.waiting.is_set():  # set already while the writer gathers: no wake-up
            self.waiting.set()

    def start(self) -> None:
        with self.starting:
            if self.pid == os.getpid():
                return
            self.lines, self.waiting, self.stopping = deque(), threading.Event(), threading.Event()
            self.writer = threading.Thread(target=self.write_lines, name="log-writer", daemon=True)
            self.writer.start()
            self.pid = os.getpid()

    def write_lines(self) -> None:
        while not self.stopping.is_set():
            self.waiting.wait()
            self.waiting.clear()
            self.flush()
            self.stopping.wait(GATHER_SECONDS)
        self.flush()

    def flush(self) -> None:
        """Write every line waiting, in order (this process's own only)."""
        if self.pid != os.getpid():
            return
        with self.writing:
            batch = []
            while self.lines:
                batch.append(self.lines.popleft())
            if not batch:
                return
            try:
                self.stream.write("".join(batch))
                self.stream.flush()
            except Exception:
                if logging.raiseExceptions:
                    traceback.print_exc(file=sys.stderr)

    def close(self) -> None:
        if self.writer is not None and self.pid == os.getpid():
            self.stopping.set()
            self.waiting.set()
            self.writer.join()
            self.writer = None
        self.flush()
        super().close()


class RequestLogMiddleware:
    """One log line per request: method, path, status, duration, and what refused it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        token = user_id_var.set(None)
        try:
            response = self.get_response(request)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if hasattr(response, "error_code"):  # set by shop_common.errors for a refusal
                fields["error_code"] = response.error_code
            request_logger.info("request", extra=fields)
        finally:
            user_id_var.reset(token)
        return response
