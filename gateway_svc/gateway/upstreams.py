"""Where a service answers: its instances (`<NAME>_URL`, several separated by commas),
taken in turn, skipping those whose breaker is open, each called through a pooled
keep-alive `GatewayClient` per retry policy."""

import itertools
import re
from collections.abc import Mapping
from typing import Any, Self

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ReadTimeoutError

from gateway import metrics
from gateway.breaker import Breaker, Permit
from gateway.errors import ServiceUnavailable
from gateway.routes import RetryPolicy, route_table
from shop_common.client import (
    IDEMPOTENCY_HEADER,
    BudgetRetry,
    ServiceClient,
    upstream_error,
)
from shop_common.metrics import series
from shop_common.service_table import SERVICES

# Keep-alive connections an instance's pool keeps between calls, shared by a worker's
# threads (more are opened while more threads call at once, and closed after).
POOL_SIZE = 32
IDEMPOTENCY_KEY = IDEMPOTENCY_HEADER.lower()


class GatewayRetry(BudgetRetry):
    """Counts retries, and never retries a read timeout: a slow service answers 504 at
    once instead of making the caller wait for it two or three times."""

    service = ""

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.service = self.service
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise MaxRetryError(_pool, url, error) from error
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        series(metrics.UPSTREAM_RETRIES, self.service).inc()
        return retry


class GatewayClient(ServiceClient):
    """`ServiceClient`'s retries and errors, sent through urllib3 directly.

    requests is urllib3 with a session on top: merging settings, preparing and re-quoting
    the URL, cookies and hooks cost as much of the gateway's CPU as the rest of proxying
    a call (and a bare django-revproxy, which calls urllib3 itself, needed half the
    gateway's CPU per call). The gateway passes bytes through and needs none of it, so
    it calls urllib3's pool with the same `Retry` (`BudgetRetry`: the same methods, the
    same budget, the same capped `Retry-After`) and maps the same failures.
    """

    retry_class = GatewayRetry

    def __init__(self, service: str, base_url: str, policy: RetryPolicy) -> None:
        super().__init__(
            service,
            base_url,
            retries=policy.retries,
            backoff=policy.backoff,
            budget=policy.budget,
            pool_maxsize=POOL_SIZE,
        )
        self.max_wait = policy.max_wait
        # Thread-safe: the worker's threads share it. Never blocks for a connection.
        self.pool = urllib3.connection_from_url(self.base_url, maxsize=POOL_SIZE)

    def retry_policy(self, method: str, *, keyed: bool) -> BudgetRetry:
        retry = super().retry_policy(method, keyed=keyed)
        retry.service, retry.max_wait = self.service, self.max_wait
        return retry

    def send(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        """Send one call (with retries); its answer unread, to pass on as it comes.
        Raises `UpstreamError` when no answer came back."""
        # Case-insensitive, as HTTP names are, without copying every header into a
        # case-insensitive mapping first (urllib3 takes a plain dict).
        keyed = any(name.lower() == IDEMPOTENCY_KEY for name in headers)
        try:
            return self.pool.urlopen(
                method,
                target,
                body=body,
                headers=headers,
                retries=self.retry_policy(method, keyed=keyed),
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
        except HTTPError as exc:
            raise upstream_error(self.service, exc) from exc


class Instance:
    def __init__(self, service: str, url: str) -> None:
        self.service = service
        self.url = url.rstrip("/")
        self.breaker = Breaker(service, self.url)
        self._clients: dict[RetryPolicy, GatewayClient] = {}

    def client(self, policy: RetryPolicy) -> GatewayClient:
        client = self._clients.get(policy)
        if client is None:
            client = self._clients.setdefault(policy, GatewayClient(self.service, self.url, policy))
        return client


class Upstream:
    """One service's instances, taken round-robin."""

    def __init__(self, service: str, urls: list[str]) -> None:
        self.service = service
        self.instances = [Instance(service, url) for url in urls]
        self._turn = itertools.count()

    def choose(self) -> tuple[Instance, Permit]:
        """The next instance whose breaker lets a call through, or a 503 at once."""
        start = next(self._turn)
        count = len(self.instances)
        waits = []
        for offset in range(count):
            instance = self.instances[(start + offset) % count]
            permit = instance.breaker.permit()
            if isinstance(permit, Permit):
                return instance, permit
            waits.append(permit.wait)
        series(metrics.BREAKER_REJECTIONS, self.service).inc()
        wait = min(waits)
        raise ServiceUnavailable(
            f"{self.service} is unavailable; try again in {wait} seconds.", wait=wait
        )


_upstreams: dict[tuple[str, str], Upstream] = {}


def upstream(service: str) -> Upstream:
    """The service's instances as the environment names them now."""
    urls = SERVICES[service].url
    found = _upstreams.get((service, urls))
    if found is None:
        found = _upstreams.setdefault(
            (service, urls), Upstream(service, [u for u in re.split(r"[,\s]+", urls) if u])
        )
    return found


def breakers() -> list[Breaker]:
    """Every routed instance's breaker (for `gateway_breaker_state`)."""
    services = sorted({route.service for route in route_table()})
    return [instance.breaker for name in services for instance in upstream(name).instances]
