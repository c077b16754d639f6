import contextvars
import json
import logging

from shop_common.log import ContextFilter, JSONFormatter, user_id_var
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
