"""Cached answers of anonymous catalog GETs, in the shared cache.

An answer is found by the method, the path, the query sorted, the request headers it may
vary on (the only ones the service is sent), and the catalog version, which product_svc
changes on every catalog write: an answer cached before a write is never served after
it. (The version is kept in the entry and compared on reading rather than written into
the key, so that one round trip reads the version, the entry and the rate-limit count
together.) Only 200s without `no-store`, `private`, `no-cache` or cookies are kept. A
client's `Cache-Control: no-cache` goes to the service and refreshes the entry. On a
cold key one request fills it while the others wait for its answer (a short lock), so a
stampede reaches the service once.
"""

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, HttpResponse

from gateway import metrics
from gateway.routes import Route
from gateway.shared_cache import shared_cache
from shop_common.catalog import CACHE_ALIAS as CATALOG_ALIAS
from shop_common.catalog import VERSION_KEY as CATALOG_VERSION_KEY
from shop_common.catalog import catalog_version, shareable
from shop_common.metrics import series

# The only request headers a cacheable request takes to the service (`proxy`), so an
# answer is a function of its key and no other header a client sends can shape it.
KEYED_HEADERS = frozenset({"accept", "accept-encoding", "accept-language"})
# Their keys in the WSGI environ, read there: `request.headers` would build a mapping of
# every header for a cached answer that needs three.
KEYED_META = tuple(f"HTTP_{name.upper().replace('-', '_')}" for name in sorted(KEYED_HEADERS))
# An answer that varies on anything else is not kept. Cached requests never carry a token.
VARY_ALLOWED = frozenset({"accept", "accept-encoding", "accept-language", "authorization"})
# Part of every entry's key: change it when `Entry` changes, so no old entry is read.
ENTRY_PREFIX = "gateway:answer:v1:"
FIRST_POLL = 0.005
LONGEST_POLL = 0.05


@dataclass(frozen=True)
class Entry:
    """A stored answer and the catalog version it was fetched under."""

    version: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status)
        for name, value in self.headers:
            response[name] = value
        response["Age"] = str(int(time.time() - self.stored_at))
        response["X-Cache"] = "HIT"
        return response


def applies(request: HttpRequest, route: Route) -> bool:
    """Anonymous GETs of a cached route; a signed-in caller's answer is theirs alone."""
    return (
        bool(route.cache_ttl)
        and request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
    )


def wants_fresh(request: HttpRequest) -> bool:
    directives = request.META.get("HTTP_CACHE_CONTROL", "").lower()
    pragma = request.META.get("HTTP_PRAGMA", "").lower()
    return "no-cache" in directives or "max-age=0" in directives or "no-cache" in pragma


def answer_key(request: HttpRequest) -> str:
    headers = (request.META.get(key, "") for key in KEYED_META)
    return key_of(request.method, request.path, request.META.get("QUERY_STRING", ""), *headers)


@functools.lru_cache(maxsize=1024)
def key_of(method: str, path: str, query_string: str, *headers: str) -> str:
    """The entry's key for a request of these parts. The last 1,024 are kept: most
    requests ask for a few popular pages, and parsing and hashing the parts every time
    cost a cached answer a few percent of its CPU."""
    query = parse_qsl(query_string, keep_blank_values=True)
    # Sorted by name only: the order of a repeated name's values may matter.
    parts = [method, path, urlencode(sorted(query, key=lambda pair: pair[0])), *headers]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{ENTRY_PREFIX}{digest}"


def store(key: str, version: str, response: HttpResponse, ttl: int) -> None:
    if not shareable(response, vary_allowed=VARY_ALLOWED):
        return
    entry = Entry(
        version, response.status_code, tuple(response.items()), response.content, time.time()
    )
    shared_cache.call("cache", lambda: shared_cache.cache.set(key, entry, timeout=ttl), None)


@dataclass(frozen=True)
class Lookup:
    """What the cache holds for a request: its key, the catalog version, a current entry."""

    key: str
    version: str | None
    entry: Entry | None


def reads(request: HttpRequest, route: Route) -> list[tuple[str, str]]:
    """The (alias, key) pairs a cacheable request needs, read in the same round trip as
    the rate-limit count (`limits.check`): the catalog version, and the entry unless the
    request refreshes it (it is replaced, not read). Empty when the cache does not apply."""
    if not applies(request, route):
        return []
    version = (CATALOG_ALIAS, CATALOG_VERSION_KEY)
    if wants_fresh(request):
        return [version]
    return [version, (shared_cache.alias, answer_key(request))]


def lookup(request: HttpRequest, keys: list[tuple[str, str]], values: list) -> Lookup:
    version, entry = values[0], values[1] if len(values) > 1 else None
    if version is None:  # never set yet (first start, Redis flushed), or Redis is down
        version = shared_cache.call("catalog_version", catalog_version, None)
    key = keys[1][1] if len(keys) > 1 else answer_key(request)
    return Lookup(key, version, entry if current(entry, version) else None)


def current(entry: object, version: str | None) -> bool:
    return isinstance(entry, Entry) and version is not None and entry.version == version


def wait_for_filler(key: str, version: str, lock: str, patience: float) -> Entry | None:
    """The entry another request is filling, once it is there; None if it gave up."""
    deadline, pause = time.monotonic() + patience, FIRST_POLL
    while time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 1.5, LONGEST_POLL)
        found = shared_cache.call("cache", lambda: shared_cache.cache.get_many([key, lock]), {})
        if current(found.get(key), version):
            return found[key]
        if lock not in found:
            return None
    return None


def serve(
    request: HttpRequest, route: Route, found: Lookup, fetch: Callable[[], HttpResponse]
) -> HttpResponse:
    """The cached answer (HIT), or the service's (MISS), stored for the next caller.

    An entry keeps the catalog version read before its answer was fetched, and is served
    only while that version is current: a write during the fetch leaves it unused.
    """
    key, version, entry = found.key, found.version, found.entry
    if version is None:  # unknown while Redis is down: never serve what may be stale
        return miss(route, fetch(), "bypass")
    if wants_fresh(request):
        return miss(route, fill(key, version, route, fetch), "refresh")
    if entry is None:
        entry = fill_once(key, version, route, fetch)
    if not isinstance(entry, Entry):
        return entry
    series(metrics.CACHE_LOOKUPS, route.prefix, "hit").inc()
    return entry.response()


def fill_once(
    key: str, version: str, route: Route, fetch: Callable[[], HttpResponse]
) -> Entry | HttpResponse:
    """On a cold key one request fetches (its answer, a MISS); the others wait for it and
    share the stored entry, or fetch for themselves if it does not come."""
    lock, cache = f"{key}:filling:{version}", shared_cache.cache
    patience = route.retry.budget + route.read_timeout
    if shared_cache.call("cache", lambda: cache.add(lock, 1, timeout=patience), True):
        try:
            return miss(route, fill(key, version, route, fetch), "miss")
        finally:
            shared_cache.call("cache", lambda: cache.delete(lock), None)
    entry = wait_for_filler(key, version, lock, patience)
    return entry if entry is not None else miss(route, fetch(), "miss")


def fill(key: str, version: str, route: Route, fetch: Callable[[], HttpResponse]) -> HttpResponse:
    response = fetch()
    store(key, version, response, route.cache_ttl)
    return response


def miss(route: Route, response: HttpResponse, result: str) -> HttpResponse:
    series(metrics.CACHE_LOOKUPS, route.prefix, result).inc()
    response["X-Cache"] = "MISS"
    return response
