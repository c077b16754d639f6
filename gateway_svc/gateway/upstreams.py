"""Where a service answers: its instances (`<NAME>_URL`, several separated by commas),
taken in turn, skipping those whose breaker is open, each called through a pooled
keep-alive `ServiceClient` per retry policy."""

import itertools
import re
from typing import Any, Self

from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from gateway import metrics
from gateway.breaker import Breaker, Permit
from gateway.errors import ServiceUnavailable
from gateway.routes import RetryPolicy, route_table
from shop_common.client import BudgetRetry, ServiceClient
from shop_common.service_table import SERVICES

# Each gunicorn thread keeps its own session; a few connections per host are plenty.
POOL_SIZE = 4


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
        metrics.UPSTREAM_RETRIES.labels(self.service).inc()
        return retry


class GatewayClient(ServiceClient):
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

    def retry_policy(self, method: str, headers: Any) -> BudgetRetry:
        retry = super().retry_policy(method, headers)
        retry.service, retry.max_wait = self.service, self.max_wait
        return retry


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
        metrics.BREAKER_REJECTIONS.labels(self.service).inc()
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
