"""Prometheus metrics any service can serve: requests by route, method and status, a
latency histogram (`MetricsMiddleware`), database queries per request
(`DatabaseQueriesMiddleware`, for services with a database), and the `/metrics` view
(`urlpatterns`).

gunicorn runs several worker processes, and each counts only what it answers. So under
gunicorn the counters use prometheus-client's multiprocess mode: each worker writes its
samples to memory-mapped files in a folder of its gunicorn master, and `/metrics` adds up
every worker's files. That costs no network round trip on the request path (counters in
Redis would cost one per request) and keeps counting while Redis is down, which is when
metrics matter most. A folder belongs to one master (named by its pid), so a restart
starts from zero, and folders of masters that are gone are removed. Outside gunicorn
(tests, `manage.py`) the ordinary in-process registry is used. An operator may set
`PROMETHEUS_MULTIPROC_DIR` (and clear it between runs) instead.

Import `Counter`, `Histogram` and the metric families from here, never from
prometheus_client directly: the mode is chosen when prometheus_client is first imported.
"""

import functools
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.module_loading import module_has_submodule
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from shop_common.operators import operators_only
from shop_common.settings import var_dir

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _remove_folders_of_gone_masters(parent: Path, keep: str) -> None:
    for folder in parent.iterdir():
        if folder.name == keep or not folder.name.isdigit():
            continue
        try:
            os.kill(int(folder.name), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # alive, someone else's


def _use_multiprocess_mode_under_gunicorn() -> None:
    if MULTIPROC_ENV in os.environ or "gunicorn" not in sys.modules:
        return
    parent = var_dir(settings.BASE_DIR) / "metrics" / settings.SERVICE_NAME
    master = str(os.getppid())
    folder = parent / master
    folder.mkdir(parents=True, exist_ok=True)
    _remove_folders_of_gone_masters(parent, keep=master)
    os.environ[MULTIPROC_ENV] = str(folder)


_use_multiprocess_mode_under_gunicorn()

# The mode is read when prometheus_client is imported, so these come after the choice.
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402
from prometheus_client.metrics import MetricWrapperBase  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

__all__ = [
    "Counter",
    "CounterMetricFamily",
    "DatabaseQueriesMiddleware",
    "GaugeMetricFamily",
    "Histogram",
    "MetricsMiddleware",
    "declare",
    "register_collector",
    "series",
    "urlpatterns",
]

KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100, 200)
# Routes every process serves and is asked for all the time: their series exist from the
# start (`declare`).
OPERATIONAL_ROUTES = ("/healthz", "/readyz", "/metrics")

REQUESTS = Counter(
    "http_requests_total",
    "Requests answered, by route, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request to response, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERIES = Histogram(
    "http_request_db_queries",
    "Database queries run while answering one request, by route and method.",
    ["route", "method"],
    buckets=QUERY_BUCKETS,
)
_extra_collectors: list[Collector] = []
_series: dict[tuple[MetricWrapperBase, tuple[str, ...]], MetricWrapperBase] = {}
M = TypeVar("M", bound=MetricWrapperBase)


def series(metric: M, *labels: str) -> M:
    """`metric.labels(*labels)`, kept for the next time: prometheus-client checks,
    converts and locks on every `labels()` call, and a proxied request makes about five.
    Label values are bounded (routes, methods, statuses, services), and so is this.
    Under gunicorn a series kept from before a fork still counts in the worker's own
    files: prometheus-client checks the process id on every update."""
    found = _series.get((metric, labels))
    if found is None:
        found = _series.setdefault((metric, labels), metric.labels(*labels))
    return found  # the child of an M is an M


def declare(metric: MetricWrapperBase, label_sets: Iterable[Sequence[str]]) -> None:
    """Create these series now, at zero. Under gunicorn a series that has never counted is
    missing from `/metrics` altogether (and `/metrics` is empty before the first request),
    so dashboards and alerts on it would see nothing instead of a zero."""
    for labels in label_sets:
        metric.labels(*labels)


def declare_series_at_start() -> None:
    """The operational routes' series, and those of every app whose `metrics` module has a
    `declare_known_series()`. Called when a process starts to serve (its middleware loads),
    not in `manage.py` commands: they answer no scrape, and run before the entrypoint
    makes `PROMETHEUS_MULTIPROC_DIR`."""
    declare(REQUESTS, [(route, "GET", "200") for route in OPERATIONAL_ROUTES])
    declare(LATENCY, [(route, "GET") for route in OPERATIONAL_ROUTES])
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "metrics"):
            own = import_module(f"{app_config.name}.metrics")
            if hasattr(own, "declare_known_series"):
                own.declare_known_series()


def multiprocess_mode() -> bool:
    return MULTIPROC_ENV in os.environ


def register_collector(collector: Collector) -> None:
    """Add a collector that reads its values at scrape time (state kept elsewhere)."""
    if multiprocess_mode():
        _extra_collectors.append(collector)
    else:
        REGISTRY.register(collector)


REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_label(request: HttpRequest) -> str:
    """A bounded label: a view may name its route in `request.metrics_route`; otherwise
    the URL pattern; never the raw path."""
    named = getattr(request, "metrics_route", None)
    if named:
        return named
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return pattern_label(match.route)


@functools.cache
def pattern_label(route: str) -> str:
    """A URL pattern's label, written once per pattern of the URLconf (a bounded set):
    two middlewares label every request. DRF's routers write regular expressions:
    `^items/(?P<pk>[^/.]+)/$` reads `/items/<pk>/`."""
    return "/" + REGEX_GROUP.sub(r"<\1>", route).lstrip("^").rstrip("$")


def method_label(request: HttpRequest) -> str:
    return request.method if request.method in KNOWN_METHODS else "other"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        declare_series_at_start()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route, method = route_label(request), method_label(request)
        series(REQUESTS, route, method, str(response.status_code)).inc()
        series(LATENCY, route, method).observe(time.perf_counter() - started)
        return response


class QueryCounter:
    """An `execute_wrapper` that counts the queries it lets through."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        execute: Callable[[str, Any, bool, dict[str, Any]], Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class DatabaseQueriesMiddleware:
    """Observes how many queries each request ran (an N+1 shows as a climbing histogram).

    Only services with a database install it: the gateway's stand-in backend runs none.
    The wrapper sits on this thread's connection, so it counts this request alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        declare(DB_QUERIES, [(route, "GET") for route in OPERATIONAL_ROUTES])

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        series(DB_QUERIES, route_label(request), method_label(request)).observe(queries.count)
        return response


@operators_only
@csrf_exempt
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every worker's metrics, in the Prometheus text format."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _extra_collectors:
            registry.register(collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


urlpatterns = [path("metrics", metrics_view, name="metrics")]
