"""The shared cache (Redis in production) that holds rate-limit counters (in the
`rate_limits` alias, which nothing else fills), cached answers and breaker states, used so
that its failure never fails a request.

When it fails, the gateway fails open: no rate limit, no cached answer, breakers closed.
The failure is logged once per outage, counted in `/metrics`, shown in `/readyz`, and the
cache is left alone for `GATEWAY_SHARED_CACHE_RETRY_SECONDS`, so that a hung Redis costs
one socket timeout per process and not one per request.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis import Redis

from gateway import metrics
from shop_common.catalog import CACHE_ERRORS
from shop_common.metrics import series
from shop_common.rate_limits import CACHE_ALIAS, Count, Window, count_one, counters

logger = logging.getLogger(__name__)
T = TypeVar("T")


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
            series(metrics.FAIL_OPEN, operation).inc()
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
        series(metrics.FAIL_OPEN, operation).inc()
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

    def get_across(self, operation: str, reads: Sequence[tuple[str, str]]) -> list[Any]:
        """The values of keys in several cache aliases (None where missing or failing)."""
        return self.count_and_get(operation, [], reads)[1]

    def count_and_get(
        self, operation: str, windows: Sequence[Window], reads: Sequence[tuple[str, str]]
    ) -> tuple[list[Count] | None, list[Any]]:
        """Count one in each rate-limit window and read keys of several aliases: one round
        trip when they all live on one Redis, as in production. No counts when it fails."""

        def run() -> tuple[list[Count], list[Any]]:
            clients = one_redis((CACHE_ALIAS, *(alias for alias, _ in reads)))
            if clients is not None:
                return _in_one_call(clients, windows, [key for _, key in reads])
            counts = [count_one(counters(), window) for window in windows]
            return counts, [caches[alias].get(key) for alias, key in reads]

        return self.call(operation, run, (None, [None] * len(reads)))

    def status(self) -> dict[str, str | float]:
        """For `/readyz`: whether this process is failing open, since when and why."""
        if self._down_since is None:
            return {"state": "ok"}
        return {"state": "failing open", "since": self._down_since, "error": self._last_error}


@cache
def one_redis(aliases: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The django-redis clients of these aliases when they all live on one Redis."""
    configs = [settings.CACHES[alias] for alias in aliases]
    if all("django_redis" in c["BACKEND"] for c in configs) and (
        len({c["LOCATION"] for c in configs}) == 1
    ):
        return tuple(caches[alias].client for alias in aliases)
    return None


@receiver(setting_changed)
def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        one_redis.cache_clear()


# One round trip, and atomic: create each of the first #ARGV keys (counters) to live
# ARGV[i] seconds unless it exists, add one, and read the other keys. Integers are what
# django-redis stores as plain numbers, so these are the counters its `add` and `incr` make.
COUNT_AND_READ = """
local found = {}
for i = 1, #ARGV do
  redis.call('SET', KEYS[i], 0, 'EX', ARGV[i], 'NX')
  found[i] = redis.call('INCR', KEYS[i])
end
for i = #ARGV + 1, #KEYS do found[i] = redis.call('GET', KEYS[i]) end
return found
"""


@cache
def count_and_read_script(redis: Any) -> Any:
    """The script registered with one Redis client (sent by its hash after the first use)."""
    return redis.register_script(COUNT_AND_READ)


class HeldConnections(threading.local):
    """This thread's clients of each Redis pool, each on a connection of its own."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.clients: dict[Redis, Redis] = {}


_held = HeldConnections()


def held(redis: Redis) -> Redis:
    """`redis` on a connection this thread keeps (redis-py's `single_connection_client`),
    for the one command every request sends. Borrowing a connection from the pool and
    giving it back cost redis-py more of the gateway's CPU than the command itself (a
    check of the call's arguments for deprecated ones, its pool metrics, a lock). Checked
    as the pool checks a connection it lends: one the server closed meanwhile (a restart,
    its idle timeout) is made again rather than failing the request; one a command failed
    on is made again by the next. It goes back to the pool when its thread ends; a forked
    child makes its own."""
    if _held.pid != os.getpid():
        _held.pid, _held.clients = os.getpid(), {}
    client = _held.clients.get(redis)
    if client is None:
        client = type(redis)(connection_pool=redis.connection_pool, single_connection_client=True)
        _held.clients[redis] = client
    try:
        closed = client.connection.can_read()  # an answer nobody asked for: end of stream
    except CACHE_ERRORS:
        closed = True
    if closed:
        client.connection.disconnect()
    return client


def _in_one_call(
    clients: tuple[Any, ...], windows: Sequence[Window], keys: list[str]
) -> tuple[list[Count], list[Any]]:
    """`clients[0]` counts, the others read `keys` (decoded as django-redis would)."""
    counting, readers = clients[0], clients[1:]
    read_keys = [client.make_key(key) for client, key in zip(readers, keys, strict=True)]
    redis = counting.get_client(write=True)
    if windows:
        counter_keys = [counting.make_key(window.key) for window in windows]
        found = count_and_read_script(redis)(
            keys=[*counter_keys, *read_keys],
            args=[window.ttl for window in windows],
            client=held(redis),
        )
    else:
        found = held(redis).mget(read_keys) if read_keys else []
    counts = [Count(w, n) for w, n in zip(windows, found, strict=False)]
    raw = found[len(windows) :]
    return counts, [None if v is None else c.decode(v) for c, v in zip(readers, raw, strict=True)]


shared_cache = SharedCache()
