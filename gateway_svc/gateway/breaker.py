"""A circuit breaker per service instance, its state in the shared cache so that every
gateway worker sees the same one.

Closed: calls pass, failures are counted. `failures` failed calls within `window` seconds
open it: calls are refused at once (503 with `Retry-After`) for `cooldown` seconds. Then
one probe call at a time may pass (half-open): a success closes the breaker, a failure
opens it for another cool-down. Every state change is logged and counted.

What counts (`proxy.forward` decides): a refused connection, every time, since no request
reached the instance; a read timeout, a reset or a 502/503/504 only once per client
address within the window, since one request's own content (a body that makes the
service slow or crash) can cause those, and no single client may open a breaker for
everyone. An answer that came (any 4xx, a 500) never counts: the instance is alive, and a
500 is one request's bug, not an outage.

A worker that just saw its breaker closed and without failures trusts that for
`QUIET_SECONDS` instead of asking the cache on every call: the common case costs no round
trip, and another worker's opening reaches it within that moment.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from gateway import metrics
from gateway.shared_cache import shared_cache
from shop_common.metrics import GaugeMetricFamily, series

logger = logging.getLogger(__name__)
STATE_VALUES = {"closed": 0, "half-open": 1, "open": 2}
T = TypeVar("T")
QUIET_SECONDS = 0.5


@dataclass(frozen=True)
class Permit:
    """Leave to call an instance: a probe, or a normal call that knows the failure count."""

    probe: bool = False
    failures: int = 0


@dataclass(frozen=True)
class Refusal:
    """No call now: try again in `wait` seconds (at least 1)."""

    wait: int


class Breaker:
    def __init__(self, service: str, instance: str) -> None:
        self.service = service
        self.instance = instance
        key = f"gateway:breaker:{service}:{instance}"
        self.failures_key = f"{key}:failures"
        self.open_key = f"{key}:open_until"
        self.probe_key = f"{key}:probe"
        self._quiet_until = 0.0

    def _call(self, action: Callable[[], T], fallback: T) -> T:
        return shared_cache.call("breaker", action, fallback)

    def permit(self) -> Permit | Refusal:
        """Leave to call now, or, while open, how long until the next try (known from the
        same read, so a refusal costs no second round trip)."""
        if time.monotonic() < self._quiet_until:
            return Permit()
        cache = shared_cache.cache
        keys = [self.open_key, self.failures_key]
        state = self._call(lambda: cache.get_many(keys), {})
        failures = state.get(self.failures_key, 0)
        open_until = state.get(self.open_key)
        if open_until is None:
            if not failures:
                self._quiet_until = time.monotonic() + QUIET_SECONDS
            return Permit(failures=failures)
        wait = open_until - time.time()
        if wait > 0:
            return Refusal(math.ceil(wait))
        lease = settings.GATEWAY_BREAKER["cooldown"]
        if self._call(lambda: cache.add(self.probe_key, 1, timeout=lease), True):
            self._changed("half-open", failures)
            return Permit(probe=True, failures=failures)
        return Refusal(1)  # another worker's probe is under way

    def succeeded(self, permit: Permit) -> None:
        if permit.probe or permit.failures:
            keys = [self.open_key, self.failures_key, self.probe_key]
            self._call(lambda: shared_cache.cache.delete_many(keys), None)
        if permit.probe:
            self._changed("closed", 0)

    def failed(self, permit: Permit, *, sender: str | None = None) -> None:
        """Count a failed call; `sender` names the client whose request may have caused it,
        and counts once per window (None: the failure is the instance's alone)."""
        self._quiet_until = 0.0
        if permit.probe:
            self._open(again=True, failures=permit.failures)
            return
        cache, window = shared_cache.cache, settings.GATEWAY_BREAKER["window"]
        sender_key = f"{self.failures_key}:{sender_digest(sender)}" if sender else None

        def count() -> int:
            if sender_key and not cache.add(sender_key, 1, timeout=window):
                return 0  # this client's failures already count once
            cache.add(self.failures_key, 0, timeout=window)
            return cache.incr(self.failures_key)

        failures = self._call(count, 0)
        if failures >= settings.GATEWAY_BREAKER["failures"]:
            self._open(again=False, failures=failures)

    def _open(self, *, again: bool, failures: int) -> None:
        cache, cooldown = shared_cache.cache, settings.GATEWAY_BREAKER["cooldown"]
        until = time.time() + cooldown
        # Kept well past the cool-down: a breaker nobody probes closes by itself later.
        keep = cooldown * 6

        def store() -> bool:
            if again:
                cache.set(self.open_key, until, timeout=keep)
                cache.delete(self.probe_key)
                return True
            return cache.add(self.open_key, until, timeout=keep)

        if self._call(store, False):
            self._changed("open", failures)

    def _changed(self, state: str, failures: int) -> None:
        series(metrics.BREAKER_TRANSITIONS, self.service, self.instance, state).inc()
        logger.warning(
            f"circuit breaker {state}",
            extra={"upstream": self.service, "instance": self.instance, "failures": failures},
        )

    def state(self) -> str:
        open_until = self._call(lambda: shared_cache.cache.get(self.open_key), None)
        if open_until is None:
            return "closed"
        return "open" if time.time() < open_until else "half-open"


def sender_digest(sender: str) -> str:
    """A short fixed-size key part for a client address (IPv6 ranges are long)."""
    return hashlib.sha256(sender.encode()).hexdigest()[:16]


class BreakerStateCollector:
    """`gateway_breaker_state` read from the shared cache at scrape time, so that it is
    the state every worker shares, not one worker's view of it."""

    def __init__(self, breakers: Callable[[], Iterable[Breaker]]) -> None:
        self.breakers = breakers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "gateway_breaker_state",
            "Circuit breaker state per service instance: 0 closed, 1 half-open, 2 open.",
            labels=["service", "instance"],
        )
        for breaker in self.breakers():
            gauge.add_metric([breaker.service, breaker.instance], STATE_VALUES[breaker.state()])
        yield gauge
