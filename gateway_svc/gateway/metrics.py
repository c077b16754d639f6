"""The gateway's own series in `/metrics`, beside the request counter and latency
histogram every service has (`shop_common.metrics`)."""

from django.conf import settings

from shop_common.metrics import Counter, Histogram, declare

from .routes import route_table

CACHE_RESULTS = ("hit", "miss", "refresh", "bypass")
# Outcomes of a call that has no status (those with one are the status itself).
FAILED_CALL_OUTCOMES = ("unavailable", "timeout")

UPSTREAM_CALLS = Counter(
    "gateway_upstream_calls_total",
    "Calls to services (after retries), by service and outcome: the status, unavailable, "
    "or timeout.",
    ["service", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "gateway_upstream_duration_seconds",
    "Time a service took to answer, retries included.",
    ["service"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPSTREAM_RETRIES = Counter(
    "gateway_upstream_retries_total", "Calls to a service tried again.", ["service"]
)
BREAKER_TRANSITIONS = Counter(
    "gateway_breaker_transitions_total",
    "Circuit breaker state changes, by service, instance and new state.",
    ["service", "instance", "state"],
)
BREAKER_REJECTIONS = Counter(
    "gateway_breaker_rejections_total",
    "Requests answered 503 at once because every instance's breaker was open.",
    ["service"],
)
CACHE_LOOKUPS = Counter(
    "gateway_cache_lookups_total",
    "Anonymous GETs on cacheable routes, by result: hit, miss, refresh (the client's no-cache), "
    "or bypass (catalog version unknown while Redis fails).",
    ["route", "result"],
)
RATE_LIMITED = Counter("gateway_rate_limited_total", "Requests answered 429, by limit.", ["limit"])
FAIL_OPEN = Counter(
    "gateway_shared_cache_fail_open_total",
    "Operations that went on without the shared cache (Redis) because it failed.",
    ["operation"],
)


def declare_known_series() -> None:
    """At zero from the start (`shop_common.metrics.declare`): the series of every service
    the route table names, of every cached route and of every limit in `GATEWAY_LIMITS`
    (the login limits, counted in `shop_common.rate_limits`, show once they refuse)."""
    routes = route_table()
    services = sorted({route.service for route in routes})
    declare(UPSTREAM_CALLS, [(s, outcome) for s in services for outcome in FAILED_CALL_OUTCOMES])
    for per_service in (UPSTREAM_LATENCY, UPSTREAM_RETRIES, BREAKER_REJECTIONS):
        declare(per_service, [(service,) for service in services])
    cached = [route.prefix for route in routes if route.cache_ttl]
    declare(CACHE_LOOKUPS, [(prefix, result) for prefix in cached for result in CACHE_RESULTS])
    declare(RATE_LIMITED, [(limit,) for limit in settings.GATEWAY_LIMITS])
