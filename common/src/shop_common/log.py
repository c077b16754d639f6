"""JSON-lines logging: every line names its service, request and (when known) user."""

import json
import logging
import logging.handlers
import os
import queue
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.core import LogData
from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.orjson import OrjsonFormatter

from shop_common.request_id import current_request_id

user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

request_logger = logging.getLogger("shop.request")


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


class BackgroundStreamHandler(logging.handlers.QueueHandler):
    """Formats a record in the thread that logs it and writes it from a thread of its own.

    A plain `StreamHandler` holds its lock while it formats and writes, so a worker's
    threads queued on it for every request line (a tenth of a `/healthz` under load, in
    py-spy). Here the logging thread only formats (the filters run there too, so the
    request's context is read where it is set) and puts the line on a queue; the standard
    library's `QueueListener` writes the lines in order. The queue is thread-safe and a
    record is formatted by one thread alone, so no lock is taken. `close()` (at exit,
    `logging.shutdown`) writes what is still queued. A forked child starts a listener and
    a queue of its own on its first line.
    """

    def __init__(self) -> None:
        super().__init__(queue.SimpleQueue())
        self.writer = logging.StreamHandler()
        self.writer.setFormatter(logging.Formatter("%(message)s"))  # the line as formatted
        self.listener: logging.handlers.QueueListener | None = None
        self.pid = 0
        self.starting = threading.Lock()

    def handle(self, record: logging.LogRecord) -> bool:
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        if self.pid != os.getpid():
            self.start()
        super().emit(record)

    def start(self) -> None:
        with self.starting:
            if self.pid == os.getpid():
                return
            # After a fork the parent's queue may hold its unwritten lines: not ours to write.
            self.queue = queue.SimpleQueue()
            self.listener = logging.handlers.QueueListener(self.queue, self.writer)
            self.listener.start()
            self.pid = os.getpid()

    def close(self) -> None:
        if self.listener is not None and self.pid == os.getpid():
            self.listener.stop()
            self.listener = None
            self.pid = 0
        self.writer.close()
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
