"""What a proxied request costs, counted (calls, objects), never timed."""

import os
import threading

import pytest
import redis
from django.core import signals
from django.core.cache import caches, close_caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import reset_queries
from django.http.request import HttpHeaders
from django.http.response import ResponseHeaders
from django.urls import URLPattern, get_resolver, resolve
from prometheus_client.metrics import MetricWrapperBase

from gateway import cache, limits, shared_cache
from gateway.tests.tokens import bearer
from shop_common import rate_limits
from shop_testing.fake_service import Reply

LIST = "/api/v1/products/"
ORDERS = "/api/v1/orders/"


@pytest.fixture
def counting_redis(settings):
    """The pooled client the counters use; the tests that need it skip without Redis."""
    if "django_redis" not in settings.CACHES[rate_limits.CACHE_ALIAS]["BACKEND"]:
        pytest.skip("the embedded defaults have no Redis")
    return caches[rate_limits.CACHE_ALIAS].client.get_client(write=True)


def test_a_request_runs_none_of_djangos_database_or_cache_housekeeping():
    # Django's test client connects `close_old_connections` again around each request
    # it makes, so only the receivers it leaves alone are checked.
    started = {receiver for receiver, _ in signals.request_started.send(WSGIHandler, environ={})}
    finished = {receiver for receiver, _ in signals.request_finished.send(WSGIHandler)}
    assert reset_queries not in started
    assert close_caches not in finished


def test_a_repeated_request_looks_up_no_metric_series(client, products, monkeypatch):
    client.get(LIST)  # the first request of each kind makes its series
    client.get(LIST, headers={"Cache-Control": "no-cache"})
    client.get(LIST)
    looked_up = []
    labels = MetricWrapperBase.labels

    def counting(metric, *values, **named):
        looked_up.append((metric._name, values))
        return labels(metric, *values, **named)

    monkeypatch.setattr(MetricWrapperBase, "labels", counting)
    assert client.get(LIST)["X-Cache"] == "HIT"
    assert client.get(LIST, headers={"Cache-Control": "no-cache"})["X-Cache"] == "MISS"

    assert looked_up == []


def test_a_repeated_request_parses_and_hashes_its_address_and_cache_key_once(
    client, products, monkeypatch
):
    for kept in (rate_limits.counted_as, rate_limits.digest, cache.key_of):
        kept.cache_clear()
    client.get(LIST)
    parsed, hashed = [], []
    ip_address, sha256 = rate_limits.ipaddress.ip_address, cache.hashlib.sha256
    monkeypatch.setattr(
        rate_limits.ipaddress, "ip_address", lambda a: parsed.append(a) or ip_address(a)
    )
    monkeypatch.setattr(cache.hashlib, "sha256", lambda b: hashed.append(b) or sha256(b))

    assert client.get(LIST)["X-Cache"] == "HIT"
    assert client.get(LIST, REMOTE_ADDR="10.1.2.3")["X-Cache"] == "HIT"
    assert client.get(f"{LIST}?page=2")["X-Cache"] == "MISS"

    assert parsed == ["10.1.2.3"]  # a new client's, once though limits and proxy ask
    # The new client's counter, then the new page's key.
    assert [hashed[0], b"page=2" in hashed[1], len(hashed)] == [b"10.1.2.3", True, 2]


def test_a_proxied_path_is_resolved_without_a_nested_resolver():
    patterns = get_resolver().url_patterns
    assert all(isinstance(pattern, URLPattern) for pattern in patterns)
    assert resolve("/api/v1/products/").url_name == "gateway"


def test_a_cached_answer_and_healthz_build_no_mapping_of_the_request_headers(
    client, products, monkeypatch
):
    client.get(LIST, headers={"Accept": "application/json"})
    built = []
    init = HttpHeaders.__init__
    monkeypatch.setattr(HttpHeaders, "__init__", lambda *args: built.append(1) or init(*args))

    hit = client.get(LIST, headers={"X-Request-ID": "abc-123", "Accept": "application/json"})
    health = client.get("/healthz")

    assert (hit["X-Cache"], hit["X-Request-ID"], health.status_code) == ("HIT", "abc-123", 200)
    assert built == []


def test_a_forwarded_order_builds_no_mapping_of_its_headers_and_names_them_once(
    client, services, monkeypatch
):
    orders = services["order_svc"]
    headers = {**bearer(), "Idempotency-Key": "k-1", "Connection": "X-Hop", "X-Hop": "h"}

    def place():
        return client.post(ORDERS, b"{}", content_type="application/json", headers=headers)

    place()
    built, named = [], []
    init, parse = HttpHeaders.__init__, HttpHeaders.parse_header_name
    monkeypatch.setattr(HttpHeaders, "__init__", lambda *args: built.append(1) or init(*args))
    counted = classmethod(lambda cls, key: named.append(key) or parse(key))
    monkeypatch.setattr(HttpHeaders, "parse_header_name", counted)
    orders.script(Reply(503), Reply(201, {"id": "x"}))

    assert place().status_code == 201
    assert (built, named) == ([], [])
    # Retried, since it carries a key; hop-by-hop headers stay behind.
    sent = orders.received[-1]
    assert len(orders.received) == 3
    assert (sent.header("Idempotency-Key"), sent.header("X-Hop")) == ("k-1", None)
    assert sent.header("Authorization") == headers["Authorization"]


def test_a_forwarded_answer_sets_each_header_once_and_an_order_reads_no_guard_counter(
    client, services, monkeypatch
):
    services["order_svc"].default = Reply(201, {"id": "x"}, headers={"Vary": "Accept"})

    def place():
        return client.post(ORDERS, b"{}", content_type="application/json", headers=bearer())

    place()
    named, deleted, looked_up = [], [], []
    setitem, delitem, counters = (
        ResponseHeaders.__setitem__,
        ResponseHeaders.__delitem__,
        limits.counters,
    )

    def counted_set(headers, name, value):
        named.append(name.lower())
        setitem(headers, name, value)

    def counted_delete(headers, name):
        deleted.append(name)
        delitem(headers, name)

    monkeypatch.setattr(ResponseHeaders, "__setitem__", counted_set)
    monkeypatch.setattr(ResponseHeaders, "__delitem__", counted_delete)
    monkeypatch.setattr(limits, "counters", lambda: looked_up.append(1) or counters())

    response = place()

    assert (response.status_code, response["Content-Type"]) == (201, "application/json")
    assert "content-type" in named
    assert len(named) == len(set(named))
    assert (deleted, looked_up) == ([], [])


def test_an_order_and_a_cached_answer_count_on_a_connection_their_thread_holds(
    client, services, counting_redis, monkeypatch
):
    def place():
        return client.post(ORDERS, b"{}", content_type="application/json", headers=bearer())

    place()
    client.get(LIST)
    borrowed, sent = [], []
    get_connection, execute = redis.ConnectionPool.get_connection, redis.Redis.execute_command
    monkeypatch.setattr(
        redis.ConnectionPool,
        "get_connection",
        lambda *args, **kw: borrowed.append(1) or get_connection(*args, **kw),
    )
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda r, *args, **kw: sent.append(args[0]) or execute(r, *args, **kw),
    )

    assert place().has_header("RateLimit-Limit")
    assert client.get(LIST)["X-Cache"] == "HIT"
    assert (borrowed, sent) == ([], ["EVALSHA", "EVALSHA"])


def test_each_thread_and_each_forked_child_holds_a_connection_of_its_own(counting_redis):
    mine = shared_cache.held(counting_redis)
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(shared_cache.held(counting_redis)))
    thread.start()
    thread.join()

    assert shared_cache.held(counting_redis) is mine
    assert theirs[0].connection is not mine.connection
    shared_cache._held.pid = os.getpid() + 1  # as a child forked from this thread finds it
    assert shared_cache.held(counting_redis).connection is not mine.connection


def test_a_held_connection_the_server_closed_is_made_again_without_failing_open(
    client, products, counting_redis
):
    client.get(LIST)
    held = shared_cache.held(counting_redis)
    closed = held.client_id()
    redis.Redis(connection_pool=counting_redis.connection_pool).client_kill_filter(_id=closed)

    response = client.get(LIST)

    assert response.has_header("RateLimit-Limit")
    assert shared_cache.shared_cache.status() == {"state": "ok"}
    assert held.client_id() != closed
