import contextvars
import io
import json
import logging
import os
import sys
import tempfile
import threading

import pytest

from shop_common.log import BackgroundStreamHandler, ContextFilter, JSONFormatter, user_id_var
from shop_common.request_id import request_id_var


def render(record: logging.LogRecord) -> dict:
    ContextFilter(service="common").filter(record)
    return json.loads(JSONFormatter().format(record))


def make_record(message: str = "hello", **extra) -> logging.LogRecord:
    record = logging.LogRecord("shop.test", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_a_log_line_is_one_json_object_with_service_request_and_user():
    request_token = request_id_var.set("req-1")
    user_token = user_id_var.set(42)
    try:
        line = render(make_record(thing="value"))
    finally:
        request_id_var.reset(request_token)
        user_id_var.reset(user_token)

    assert line["message"] == "hello"
    assert line["level"] == "INFO"
    assert line["service"] == "common"
    assert line["request_id"] == "req-1"
    assert line["user_id"] == 42
    assert line["thing"] == "value"


def test_a_line_orjson_refuses_is_still_written_whole():
    line = render(make_record("bad \ud800 path", huge=2**70, thing=object()))

    assert line["message"] == "bad \ud800 path"
    assert line["huge"] == 2**70
    assert line["thing"].startswith("<object")


def test_outside_a_request_the_ids_are_null():
    line = contextvars.Context().run(render, make_record())

    assert line["request_id"] is None
    assert line["user_id"] is None


def test_every_request_is_logged_once_with_method_path_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="shop.request"):
        client.get("/plain/", headers={"X-Request-ID": "logged-request"})

    [record] = [r for r in caplog.records if r.name == "shop.request"]
    assert (record.method, record.path, record.status) == ("GET", "/plain/", 200)
    assert record.duration_ms >= 0


def test_log_lines_inside_a_request_carry_its_id(client, caplog):
    caplog.handler.addFilter(ContextFilter(service="common"))
    with caplog.at_level(logging.INFO, logger="testproject"):
        client.get("/logs/", headers={"X-Request-ID": "inside-request"})

    [record] = [r for r in caplog.records if r.name == "testproject"]
    assert record.request_id == "inside-request"
    assert record.service == "common"


def background_handler(stream: io.TextIOBase) -> BackgroundStreamHandler:
    handler = BackgroundStreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(ContextFilter(service="common"))
    return handler


class CountedWrites(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_a_line_is_formatted_in_the_logging_thread_and_written_by_another():
    stream = io.StringIO()
    handler = background_handler(stream)
    token = request_id_var.set("req-queued")
    try:
        handler.handle(make_record("queued", thing="value"))
        try:
            raise ValueError("boom")
        except ValueError:
            failed = make_record("failed")
            failed.exc_info = sys.exc_info()
            handler.handle(failed)
    finally:
        request_id_var.reset(token)
    writer_thread = handler.writer
    handler.close()  # writes what is still waiting

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["message"], first["request_id"], first["thing"]) == (
        "queued",
        "req-queued",
        "value",
    )
    assert second["message"] == "failed"
    assert "ValueError: boom" in second["exc_info"]
    assert writer_thread is not threading.current_thread()


def test_lines_logged_while_the_writer_is_busy_are_written_together_in_order():
    stream = CountedWrites()
    handler = background_handler(stream)
    with handler.writing:  # the writer is busy: woken by the first line, it waits here
        for number in range(100):
            handler.handle(make_record(f"line {number}"))
    handler.close()

    messages = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == [f"line {number}" for number in range(100)]
    assert stream.writes == 1


def test_a_line_logged_after_close_is_written_at_once():
    stream = io.StringIO()
    handler = background_handler(stream)
    handler.handle(make_record("before"))
    handler.close()
    handler.handle(make_record("after"))  # at exit, once logging has shut down

    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == [
        "before",
        "after",
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_writes_its_own_lines_and_not_its_parents():
    with tempfile.TemporaryFile("w+") as stream:
        handler = background_handler(stream)
        handler.handle(make_record("parent"))
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's lines are the assertion)
            handler.handle(make_record("child"))
            handler.close()
            os._exit(0)
        os.waitpid(child, 0)
        handler.close()
        stream.seek(0)
        messages = sorted(json.loads(line)["message"] for line in stream)
    assert messages == ["child", "parent"]
