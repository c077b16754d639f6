"""The gateway's one view: every public path goes through the same steps, driven by the
route table. Also its `/readyz`, which says when rate limits and the cache fail open."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from gateway import auth, cache, limits, proxy
from gateway.errors import GatewayError, MethodNotAllowed, NoEndpoint
from gateway.routes import Route, match
from gateway.shared_cache import shared_cache
from gateway.upstreams import breakers
from shop_common.errors import DomainError, domain_error_response, error_response
from shop_common.health import redis_checks
from shop_common.operators import operators_only


@csrf_exempt
def gateway(request: HttpRequest) -> HttpResponse:
    """Route, authenticate, count, then answer from the cache or the service."""
    # A Host outside ALLOWED_HOSTS is refused (400) before anything answers: a cached
    # page, a 401 or a breaker permit alike. /healthz stays open to probes by pod address.
    request.get_host()
    route = match(request.path)
    if route is None:
        return domain_error_response(NoEndpoint(request.path))
    request.metrics_route = route.prefix
    caller, refusal = auth.identify(request, route)
    cache_keys = cache.reads(request, route)
    counts, guarded = [], None
    try:
        body = proxy.read_body(request)
        counts, cached = limits.check(request, route, caller, cache_keys)
        guarded = limits.guard(request, route, body)
        if guarded is not None:
            guarded.check()
        found = cache.lookup(request, cache_keys, cached) if cache_keys else None
        response = answer(request, route, refusal, body, found)
    except DomainError as refusal:
        response = domain_error_response(refusal)
    if guarded is not None:
        guarded.settle(response.status_code)
    for name, value in limits.headers(counts, guarded).items():
        response[name] = value
    if route.cache_ttl:
        response.setdefault("X-Cache", "MISS")
    return response


def answer(
    request: HttpRequest,
    route: Route,
    refusal: GatewayError | None,
    body: bytes,
    found: cache.Lookup | None,
) -> HttpResponse:
    if request.method not in route.methods:
        raise MethodNotAllowed(request.method, sorted(route.methods))
    if refusal is not None:
        raise refusal
    if found is not None:
        return cache.serve(request, route, found, lambda: proxy.forward(request, route, body))
    return proxy.forward(request, route, body)


@operators_only
@csrf_exempt
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 while Redis answers; 503 naming it when not (the gateway still serves, failing
    open). Breaker states are shown, not judged: a service down is not the gateway's."""
    checks = redis_checks()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    status = shared_cache.status()
    if failing and status["state"] == "ok":  # this worker has not needed Redis since
        status = {"state": "failing open", "error": checks["redis"]}
    body = {
        "checks": checks,
        "shared_cache": status,
        "breakers": {f"{b.service} {b.instance}": b.state() for b in breakers()},
    }
    if failing:
        detail = f"not ready: {', '.join(failing)} unavailable; rate limits and cache fail open"
        return error_response(503, detail, extra=body)
    return JsonResponse({"status": "ok", **body})
