"""The route table: `GATEWAY_ROUTES` from the settings, read once into `Route`s.

Adding a route is a line of data in the settings, never a view.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from shop_common.service_table import SERVICES

AUTH_MODES = frozenset({"none", "optional", "required", "staff_writes"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    backoff: float
    max_wait: float
    budget: float


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    methods: frozenset[str]
    auth: str
    cache_ttl: int
    limits: tuple[str, ...]
    retry: RetryPolicy
    connect_timeout: float
    read_timeout: float

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def needs_user(self, method: str) -> bool:
        return self.auth == "required" or self.needs_staff(method)

    def needs_staff(self, method: str) -> bool:
        return self.auth == "staff_writes" and method not in SAFE_METHODS


def build_route(entry: dict[str, Any], retry_policies: dict[str, RetryPolicy]) -> Route:
    """One `Route` from one settings entry; a wrong entry stops the process at start-up."""
    fields = {**settings.GATEWAY_ROUTE_DEFAULTS, **entry}
    prefix = fields["prefix"]
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ImproperlyConfigured(f"route prefix {prefix!r} must start and end with '/'")
    if fields["service"] not in SERVICES:
        raise ImproperlyConfigured(f"route {prefix}: unknown service {fields['service']!r}")
    if fields["auth"] not in AUTH_MODES:
        raise ImproperlyConfigured(f"route {prefix}: auth must be one of {sorted(AUTH_MODES)}")
    unknown_limits = set(fields["limits"]) - {"client", "login", "register"}
    if unknown_limits:
        raise ImproperlyConfigured(f"route {prefix}: unknown limits {sorted(unknown_limits)}")
    try:
        retry = retry_policies[fields["retry"]]
    except KeyError:
        raise ImproperlyConfigured(f"route {prefix}: unknown retry {fields['retry']!r}") from None
    return Route(
        prefix=prefix,
        service=fields["service"],
        methods=frozenset(method.upper() for method in fields["methods"]),
        auth=fields["auth"],
        cache_ttl=int(fields["cache_ttl"]),
        limits=tuple(fields["limits"]),
        retry=retry,
        connect_timeout=float(fields["connect_timeout"]),
        read_timeout=float(fields["read_timeout"]),
    )


@cache
def route_table() -> tuple[Route, ...]:
    """Every route, longest prefix first, so the first match is the most specific."""
    policies = {
        name: RetryPolicy(**policy) for name, policy in settings.GATEWAY_RETRY_POLICIES.items()
    }
    routes = (build_route(entry, policies) for entry in settings.GATEWAY_ROUTES)
    return tuple(sorted(routes, key=lambda route: len(route.prefix), reverse=True))


def match(path: str) -> Route | None:
    """The route serving `path`; `/internal/`, `/admin/` and the unknown have none.

    A path with `.` or `..` segments has none either: the HTTP client would resolve them
    and send `/api/v1/products/../../internal/` to `/internal/`.
    """
    if DOT_SEGMENT.search(path):
        return None
    for route in route_table():
        if path.startswith(route.prefix):
            return route
    return None


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("GATEWAY_"):
        route_table.cache_clear()
