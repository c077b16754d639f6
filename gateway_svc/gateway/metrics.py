"""The gateway's own series in `/metrics`, beside the request counter and latency
histogram every service has (`shop_common.metrics`)."""

from shop_common.metrics import Counter, Histogram

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
