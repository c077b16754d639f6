"""The shared cache (Redis in production) that holds rate-limit counters, cached answers
and breaker states, used so that its failure never fails a request.

When it fails, the gateway fails open: no rate limit, no cached answer, breakers closed.
The failure is logged once per outage, counted in `/metrics`, shown in `/readyz`, and the
cache is left alone for `GATEWAY_SHARED_CACHE_RETRY_SECONDS`, so that a hung Redis costs
one socket timeout per process and not one per request.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from gateway import metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")
CACHE_ERRORS = (ConnectionInterrupted, RedisError, OSError)


class SharedCache:
    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._down_since: float | None = None
        self._last_error = ""

    @property
    def cache(self) -> BaseCache:
        return caches[self.alias]

    def call(self, operation: str, action: Callable[[], T], fallback: T) -> T:
        """`action()`, or `fallback` when the shared cache fails or failed a moment ago."""
        if self._skip_until and time.monotonic() < self._skip_until:
            metrics.FAIL_OPEN.labels(operation).inc()
            return fallback
        try:
            result = action()
        except CACHE_ERRORS as exc:
            self._failed(operation, exc)
            return fallback
        if self._down_since is not None:
            self._recovered()
        return result

    def _failed(self, operation: str, exc: Exception) -> None:
        metrics.FAIL_OPEN.labels(operation).inc()
        with self._lock:
            self._skip_until = time.monotonic() + settings.GATEWAY_SHARED_CACHE_RETRY_SECONDS
            self._last_error = f"{type(exc).__name__}: {exc}"[:200]
            first = self._down_since is None
            if first:
                self._down_since = time.time()
        if first:
            logger.error(
                "shared cache unavailable: rate limits, caching and breakers fail open",
                extra={"operation": operation, "error": self._last_error},
            )

    def _recovered(self) -> None:
        with self._lock:
            down_since, self._down_since, self._skip_until = self._down_since, None, 0.0
        if down_since is not None:
            logger.warning(
                "shared cache available again",
                extra={"down_seconds": round(time.time() - down_since, 1)},
            )

    def status(self) -> dict[str, str | float]:
        """For `/readyz`: whether this process is failing open, since when and why."""
        if self._down_since is None:
            return {"state": "ok"}
        return {"state": "failing open", "since": self._down_since, "error": self._last_error}


shared_cache = SharedCache()
