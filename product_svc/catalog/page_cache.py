"""Catalog pages (the lists and single products and categories) answered from the cache.

An anonymous `GET` of a catalog page is kept as its rendered bytes, with the catalog
version it was rendered under, and served again only while that version is current: every
catalog write (stock included) bumps the version once it commits, so no page outlives the
next committed write. The version is read before the page is rendered, so a page rendered
while a write commits is stored under the version that write replaces and is never served
after its bump. The answer depends on nothing else than what the key holds: the path, the
query (in a canonical order), the scheme and host links are built with, and `Accept`.

Not cached: a request with `Authorization` (staff see inactive products, and a bad token
is a 401), an answer other than a 200 (a refused filter is cheap to refuse again), a
request inside a transaction (its own writes are not in the version yet). With the cache
unreachable (Redis down) the page is rendered as if there were none, and the process
leaves the cache alone for a few seconds before it asks again.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse

from shop_common.catalog import (
    CACHE_ALIAS,
    CACHE_ERRORS,
    VERSION_KEY,
    catalog_version,
    shareable,
)

logger = logging.getLogger(__name__)
# Part of every page's key: change it when what is stored, or how a page is written, changes.
PAGE_PREFIX = "catalog:page:v1:"
# The headers an answer may vary on and still be kept: `Accept` is in the key.
KEYED_VARY = frozenset({"accept"})
# After the cache fails, a process renders without asking it for this long: a hung Redis
# then costs one socket timeout per process and pause, not one per page.
PAUSE_AFTER_FAILURE = 5.0
_paused_until = 0.0


def canonical_query(query_string: str) -> str:
    """The query's parameters in the order of their names, each name's values in the order
    sent. Django and DRF read a query as a name's values in order, never as the order of
    the names, so every spelling with one canonical form answers the same page."""
    pairs = query_string.split("&")
    return "&".join(sorted(pairs, key=lambda pair: unquote_plus(pair.partition("=")[0])))


def page_key(request: HttpRequest) -> str:
    """Everything the page's bytes depend on besides the catalog: links are absolute, made
    from the scheme and host the gateway forwards; `Accept` picks the rendering."""
    parts = (
        request.path,
        canonical_query(request.META.get("QUERY_STRING", "")),
        request.scheme,
        request.get_host(),
        request.META.get("HTTP_ACCEPT", ""),
    )
    return PAGE_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def may_use_cache(request: HttpRequest) -> bool:
    return (
        settings.CATALOG_PAGE_CACHE_SECONDS > 0
        and time.monotonic() >= _paused_until
        and request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and not connection.in_atomic_block
    )


def may_keep(response: HttpResponse) -> bool:
    """Only a plain 200 that says nothing against being shared."""
    return shareable(response, vary_allowed=KEYED_VARY)


def version_and_page(key: str) -> tuple[str, object]:
    """The current catalog version and what is stored under `key`: in one round trip when
    the pages are kept beside the version (Redis)."""
    pages = caches[settings.CATALOG_PAGE_CACHE]
    if settings.CATALOG_PAGE_CACHE == CACHE_ALIAS:
        found = pages.get_many([VERSION_KEY, key])
        return found.get(VERSION_KEY) or catalog_version(), found.get(key)
    return catalog_version(), pages.get(key)


def cached_page(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The page from the cache while the catalog is unchanged, else `render()`'s answer
    (kept for the next caller when it may be shared)."""
    if not may_use_cache(request):
        return render()
    key = page_key(request)
    try:
        version, stored = version_and_page(key)
    except CACHE_ERRORS as exc:
        pause(exc)
        return render()
    if isinstance(stored, tuple) and stored[0] == version:
        _, content, headers = stored
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        return response
    response = render()
    if may_keep(response):
        if isinstance(response, SimpleTemplateResponse):  # DRF's answers render late
            response.render()
        entry = (version, response.content, tuple(response.items()))
        try:
            caches[settings.CATALOG_PAGE_CACHE].set(
                key, entry, timeout=settings.CATALOG_PAGE_CACHE_SECONDS
            )
        except CACHE_ERRORS as exc:
            pause(exc)
    return response


def pause(exc: Exception) -> None:
    """Leave the failing cache alone for `PAUSE_AFTER_FAILURE` seconds in this process."""
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
    logger.warning(
        "catalog cache unavailable: pages rendered without it for %s s",
        PAUSE_AFTER_FAILURE,
        exc_info=exc,
    )
