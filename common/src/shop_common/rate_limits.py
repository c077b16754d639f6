"""Rate limits counted in fixed windows in a Django cache, with an atomic increment.

A limit is counted before what it guards is done ("count first, then check"): the
increment that takes a count past the limit is refused and taken back, so however many
requests race, no more than the limit's number of them go ahead. What turns out not to
count (a right password, a refused registration) is taken back afterwards. Counters live
in the `rate_limits` cache (`counters()`), which must add and increment atomically: Redis,
the in-process cache in one process, or `shop_common.file_cache.FileCache` on a disk its
processes share.

Failed logins are counted twice: per email and client address (`RATE_LIMIT_LOGIN`), which
an owner who mistypes meets, and per email from every address together
(`RATE_LIMIT_LOGIN_CEILING`, higher), which bounds guessing from many addresses. Strangers
failing below the ceiling never stop the owner signing in from their own address.
"""

import contextlib
import functools
import hashlib
import ipaddress
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

CACHE_ALIAS = "rate_limits"
RATE_FORMAT = re.compile(r"^(?P<limit>\d+)/(?P<multiplier>\d*)(?P<unit>[smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def counters() -> BaseCache:
    """The cache of rate-limit counters, which nothing else fills (`cache_settings`)."""
    return caches[CACHE_ALIAS]


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    @functools.cache
    def parse(cls, text: str, *, setting: str) -> "Rate":
        """django-ratelimit's form: `5/m`, `100/h`, `10/5m`; `setting` names it in errors."""
        match = RATE_FORMAT.match(text.strip())
        if not match or int(match["limit"]) < 1 or match["multiplier"] == "0":
            raise ImproperlyConfigured(f"{setting}={text!r}: expected e.g. 5/m, 20/h or 10/5m")
        multiplier = int(match["multiplier"] or 1)
        return cls(int(match["limit"]), multiplier * UNIT_SECONDS[match["unit"]])


@functools.lru_cache(maxsize=1024)
def digest(value: str) -> str:
    """What a counter's key holds of the value it counts: never an email or an address.
    The last 1,024 are kept, since a client is counted on every request it sends."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Window:
    """Where one value's count of one limit lives until its fixed window ends."""

    name: str
    rate: Rate
    key: str
    reset: int

    @classmethod
    def current(cls, name: str, value: str, rate: Rate) -> "Window":
        now = int(time.time())
        key = f"rl:{name}:{rate.limit}/{rate.period}:{digest(value)}:{now // rate.period}"
        return cls(name, rate, key, rate.period - now % rate.period)

    @property
    def ttl(self) -> int:
        return self.reset + 1


@dataclass(frozen=True)
class Count:
    """Where a caller stands against one limit after counting."""

    window: Window
    count: int

    @property
    def name(self) -> str:
        return self.window.name

    @property
    def limit(self) -> int:
        return self.window.rate.limit

    @property
    def reset(self) -> int:
        return self.window.reset

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


def tightest(counts: Sequence[Count]) -> Count | None:
    """The count closest to its limit, the one the `RateLimit-*` headers show."""
    return min(counts, key=lambda count: count.remaining, default=None)


def count_one(cache: BaseCache, window: Window) -> Count:
    """Add one to the window's count, atomically on a cache that increments atomically."""
    cache.add(window.key, 0, timeout=window.ttl)
    try:
        return Count(window, cache.incr(window.key))
    except ValueError:  # the entry expired between add and incr: it was the window's end
        cache.set(window.key, 1, timeout=window.ttl)
        return Count(window, 1)


def uncount(cache: BaseCache, count: Count) -> None:
    """Undo one `count_one` in the window it was counted in (a window gone needs none)."""
    with contextlib.suppress(ValueError):
        cache.decr(count.window.key)


@dataclass
class Attempt:
    """One attempt counted against several limits before it is made.

    `refusal` is the limit it would exceed (nothing stays counted then); otherwise it holds
    its place in every limit until `withdraw` says it did not count after all.
    """

    cache: BaseCache
    counts: list[Count] = field(default_factory=list)
    refusal: Count | None = None
    withdrawn: bool = False

    @classmethod
    def start(cls, cache: BaseCache, windows: Sequence[Window]) -> "Attempt":
        """Count the windows in order, stopping at the first exceeded one: a refused
        attempt withdraws what it counted, so it never uses up a later, wider limit."""
        attempt = cls(cache)
        for window in windows:
            count = count_one(cache, window)
            if count.exceeded:
                uncount(cache, count)
                attempt.withdraw()
                attempt.refusal = count
                break
            attempt.counts.append(count)
        return attempt

    def shown(self) -> Count | None:
        """The count to show a caller: the refusing one, or the one closest to its limit."""
        return self.refusal or tightest(self.counts)

    def withdraw(self, *, forget: Sequence[Count] = ()) -> None:
        """This attempt did not count after all: take it back from every limit (once),
        forgetting the `forget` counts whole."""
        if self.withdrawn:
            return
        self.withdrawn = True
        for count in self.counts:
            if count in forget:
                self.cache.delete(count.window.key)
            else:
                uncount(self.cache, count)


@dataclass(frozen=True)
class LoginLimits:
    """The two failed-login limits, from `RATE_LIMIT_LOGIN` and `RATE_LIMIT_LOGIN_CEILING`."""

    per_address: Rate
    per_email: Rate

    @classmethod
    def from_settings(cls) -> "LoginLimits":
        return cls(
            Rate.parse(settings.RATE_LIMIT_LOGIN, setting="RATE_LIMIT_LOGIN"),
            Rate.parse(settings.RATE_LIMIT_LOGIN_CEILING, setting="RATE_LIMIT_LOGIN_CEILING"),
        )

    def windows(self, email: str, address: str) -> tuple[Window, Window]:
        email = email.strip().lower()
        return (
            Window.current("login-address", f"{email} {address}", self.per_address),
            Window.current("login-email", email, self.per_email),
        )


class LoginAttempt(Attempt):
    """A password check of one email from one address, counted as failed until it succeeds.

    `succeeded` forgets this address's failures for the email and takes this attempt back
    from the ceiling; `withdraw` (the check never happened) takes it back from both.
    """

    @classmethod
    def begin(cls, cache: BaseCache, *, email: str, address: str) -> "LoginAttempt":
        return cls.start(cache, LoginLimits.from_settings().windows(email, address))

    def succeeded(self) -> None:
        self.withdraw(forget=self.counts[:1])


def client_address(request: HttpRequest, trusted_proxies: int) -> str:
    """The socket's address; behind `trusted_proxies` proxies, the address the outermost
    one saw (N-th from the right in X-Forwarded-For: entries left of it are the client's
    own say). An IPv6 address stands for its /64, which one host usually owns whole."""
    address = request.META.get("REMOTE_ADDR", "")
    if trusted_proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            address = hops[-min(trusted_proxies, len(hops))]
    return counted_as(address) or request.META.get("REMOTE_ADDR", "") or "unknown"


@functools.lru_cache(maxsize=1024)
def counted_as(address: str) -> str | None:
    """The address as limits count it (an IPv6 one as its /64); None if it is none.
    The last 1,024 are kept: a client sends many requests, and parsing its address cost
    more than the rest of finding it (the gateway asks twice per request)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
