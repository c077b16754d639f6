"""What a proxied request costs, counted (calls, objects), never timed."""

from django.core import signals
from django.core.cache import close_caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import reset_queries
from prometheus_client.metrics import MetricWrapperBase

LIST = "/api/v1/products/"


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
