"""Rate limits: django-ratelimit's fixed-window counters in the shared cache.

A route's "client" limit counts every request, per verified user id for signed-in callers
(`RATE_LIMIT_USER`) and per client address for the others (`RATE_LIMIT_ANON`). Its
"login" limit counts failed logins per email from the JSON body (`RATE_LIMIT_LOGIN`), so
an attacker can neither lock a shared address out nor guess one account's password from
many addresses. Only the settings' number of trusted proxies may name the client address.
"""

import ipaddress
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, get_usage

# django-ratelimit's own key and window, so a count made here is the one get_usage reads.
from django_ratelimit.core import _get_window as ratelimit_window
from django_ratelimit.core import _make_cache_key as ratelimit_key
from django_ratelimit.core import _split_rate as split_rate

from gateway import metrics
from gateway.auth import Caller
from gateway.errors import GatewayError
from gateway.routes import Route
from gateway.shared_cache import shared_cache


@dataclass(frozen=True)
class Usage:
    """Where a caller stands against one limit."""

    name: str
    limit: int
    count: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }

    def refusal(self) -> GatewayError:
        metrics.RATE_LIMITED.labels(self.name).inc()
        what = "failed logins for this email" if self.name == "login" else "requests"
        return GatewayError(
            429,
            f"Too many {what}; try again in {self.reset} seconds.",
            {**self.headers(), "Retry-After": str(self.reset)},
        )


def client_address(request: HttpRequest) -> str:
    """The socket's address; behind N trusted proxies, the address the outermost one saw
    (N-th from the right in X-Forwarded-For: entries left of it are the client's own say)."""
    address = request.META.get("REMOTE_ADDR", "")
    trusted = settings.GATEWAY_TRUSTED_PROXIES
    if trusted > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            address = hops[-min(trusted, len(hops))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return request.META.get("REMOTE_ADDR", "") or "unknown"
    # One IPv6 host usually owns a whole /64: counting single addresses would let it rotate.
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def login_email(route: Route, body: bytes) -> str | None:
    """The email of a JSON login body on a route that counts failed logins, else None
    (django-ratelimit's "post:email" sees only forms). Parsed once per request."""
    if "login" not in route.limits:
        return None
    try:
        data = json.loads(body or b"null")
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python goes
        return None
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str):
        return None
    return email.strip().lower() or None


def usage(request: HttpRequest, name: str, key: str, *, increment: bool) -> Usage | None:
    """Count (or only read) one limit; None when the shared cache fails (fail open)."""
    rate = settings.GATEWAY_LIMITS[name]
    found = shared_cache.call(
        "rate_limit",
        lambda: get_usage(
            request, group=f"gateway.{name}", key=lambda *_: key, rate=rate, increment=increment
        ),
        None,
    )
    if found is None:
        return None
    return Usage(name, found["limit"], found["count"], max(1, found["time_left"]))


def count(
    name: str, value: str, reads: Sequence[tuple[str, str]]
) -> tuple[Usage | None, list[Any]]:
    """Count one request against a limit and read `reads` in the same round trip.

    This is `get_usage(increment=True)` with django-ratelimit's own key and window, done
    as one SET NX + INCR call on Redis (get_usage takes two round trips, add then incr)
    that also carries the response cache's reads: a cached answer costs one round trip.
    """
    rate = settings.GATEWAY_LIMITS[name]
    limit, period = split_rate(rate)
    window = ratelimit_window(value, period)
    key = ratelimit_key(f"gateway.{name}", window, rate, value, ALL)
    counted, found = shared_cache.count_and_get("rate_limit", key, period + EXPIRATION_FUDGE, reads)
    if counted is None:
        return None, found
    return Usage(name, limit, counted, max(1, window - int(time.time()))), found


def client_counter(request: HttpRequest, caller: Caller) -> tuple[str, str]:
    if caller.signed_in:
        return "user", f"user:{caller.user_id}"
    return "anon", f"address:{client_address(request)}"


def check(
    request: HttpRequest,
    route: Route,
    caller: Caller,
    email: str | None,
    reads: Sequence[tuple[str, str]] = (),
) -> tuple[Usage | None, bool, list[Any]]:
    """Count this request (and read `reads` for the cache on the way): the usage to show
    in the headers, whether it is refused, and what was read."""
    shown, refused = None, False
    if "client" in route.limits:
        shown, found = count(*client_counter(request, caller), reads)
        refused = shown is not None and shown.count > shown.limit
    else:
        found = shared_cache.get_across("cache", reads)
    if email and not refused:
        login = usage(request, "login", f"email:{email}", increment=False)
        if login is not None and (shown is None or login.remaining <= shown.remaining):
            shown, refused = login, login.count >= login.limit
    return shown, refused, found


def after_response(request: HttpRequest, response: HttpResponse, email: str | None) -> Usage | None:
    """Count a failed login (401 from user_svc) against its email; its usage, if counted."""
    if email is None or response.status_code != 401:
        return None
    return usage(request, "login", f"email:{email}", increment=True)
