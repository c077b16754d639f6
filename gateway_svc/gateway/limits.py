"""Rate limits, counted in the shared cache before a request goes on
(`shop_common.rate_limits`).

A route's "client" limit counts every request: per client address for anonymous callers
(`RATE_LIMIT_ANON`); per verified user id for signed-in ones (`RATE_LIMIT_USER`) and, for
all accounts of one address together, per address (`RATE_LIMIT_ADDRESS`), so registering
more accounts buys an address nothing. A "login" route counts each password check per
email and address and per email (`RATE_LIMIT_LOGIN`, `RATE_LIMIT_LOGIN_CEILING`); a
"register" route each account made per address (`RATE_LIMIT_REGISTER`). Both hold their
place before the service answers and give it back when the answer says it did not count.
Only the settings' number of trusted proxies may name the client address.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from gateway import metrics
from gateway.auth import Caller
from gateway.errors import RateLimited
from gateway.routes import Route
from gateway.shared_cache import shared_cache
from shop_common.metrics import series
from shop_common.parsers import UnreadableInput, parse_json
from shop_common.rate_limits import (
    Attempt,
    Count,
    LoginAttempt,
    Rate,
    Window,
    client_address,
    counters,
    tightest,
)

REFUSED = {
    "login-address": "failed logins for this email",
    "login-email": "failed logins for this email",
    "register": "accounts registered from this address",
}
# The service's answer that says a guarded attempt happened, so its count stays.
HAPPENED = {"login": 401, "register": 201}


def refusal(count: Count) -> RateLimited:
    series(metrics.RATE_LIMITED, count.name).inc()
    what = REFUSED.get(count.name, "requests")
    return RateLimited(what, wait=count.reset, headers=count.headers())


def rate(name: str) -> Rate:
    return Rate.parse(settings.GATEWAY_LIMITS[name], setting=f"RATE_LIMIT_{name.upper()}")


def window(name: str, value: str) -> Window:
    return Window.current(name, value, rate(name))


def address_of(request: HttpRequest) -> str:
    return client_address(request, settings.GATEWAY_TRUSTED_PROXIES)


def client_windows(request: HttpRequest, caller: Caller) -> list[Window]:
    if caller.signed_in:
        return [window("user", str(caller.user_id)), window("address", address_of(request))]
    return [window("anon", address_of(request))]


def login_email(body: bytes) -> str | None:
    """The email of a JSON login body (django-ratelimit's "post:email" sees only forms)."""
    try:
        data = parse_json(body or b"null")
    except UnreadableInput:  # not JSON, too deep, a lone surrogate: the service refuses it
        return None
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str):
        return None
    return email.strip().lower() or None


@dataclass
class Guarded:
    """A password check or a registration, counted before it reaches the service."""

    limit: str
    attempt: Attempt

    def check(self) -> None:
        """Refuse with 429 when this attempt would exceed one of its limits."""
        if self.attempt.refusal is not None:
            raise refusal(self.attempt.refusal)

    def settle(self, status: int) -> None:
        """Give the count back only when the service refused before acting (a 4xx other
        than the answer that says it happened); a right password forgets the address's
        failures. A 5xx or a timeout keeps it: the password may have been checked."""
        if self.attempt.refusal is not None:
            return
        if self.limit == "login" and status == 200:
            shared_cache.call("rate_limit", self.attempt.succeeded, None)
        elif 400 <= status < 500 and status != HAPPENED[self.limit]:
            shared_cache.call("rate_limit", self.attempt.withdraw, None)


def guard(request: HttpRequest, route: Route, body: bytes) -> Guarded | None:
    """Count this request's password check or registration, if the route guards one;
    None when it does not, or the shared cache fails (fail open)."""
    if "login" in route.limits and (email := login_email(body)):
        limit = "login"

        def start() -> Attempt:
            return LoginAttempt.begin(counters(), email=email, address=address_of(request))

    elif "register" in route.limits and request.method == "POST":
        limit = "register"

        def start() -> Attempt:
            return Attempt.start(counters(), [window("register", address_of(request))])

    else:
        return None
    attempt = shared_cache.call("rate_limit", start, None)
    return None if attempt is None else Guarded(limit, attempt)


def check(
    request: HttpRequest,
    route: Route,
    caller: Caller,
    reads: Sequence[tuple[str, str]] = (),
) -> tuple[list[Count], list[Any]]:
    """Count this request against the client limits, reading `reads` for the cache in the
    same round trip: the counts (none when the shared cache fails), and what was read.
    Refuses with 429 over a limit."""
    if "client" not in route.limits:
        return [], shared_cache.get_across("cache", reads)
    counts, found = shared_cache.count_and_get("rate_limit", client_windows(request, caller), reads)
    for count in counts or []:
        if count.exceeded:
            raise refusal(count)
    return counts or [], found


def headers(counts: Sequence[Count], guarded: Guarded | None) -> dict[str, str]:
    """`RateLimit-*` of the count closest to running out (a refused attempt's first)."""
    shown = tightest([*([guarded.attempt.shown()] if guarded else []), *counts])
    return shown.headers() if shown is not None else {}
