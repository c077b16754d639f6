"""The catalog version: product_svc changes it on every catalog write, the gateway keys its
cache with it, so an answer cached before a write is never served after it.

A bump writes a value never used before rather than incrementing a counter: writes that
race can then never bring back an old version, even on a cache without atomic increment
(the embedded default, a folder on disk that both processes share).
"""

import uuid

from django.core.cache import caches
from django.http import HttpResponse
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

CACHE_ALIAS = "catalog"
VERSION_KEY = "catalog:version"
# What a failing shared cache raises: Redis's errors, or the embedded folder's (`OSError`).
CACHE_ERRORS = (ConnectionInterrupted, RedisError, OSError)
# `Cache-Control` directives that keep an answer from being served to anyone else.
NOT_SHAREABLE = frozenset({"no-store", "private", "no-cache"})


def catalog_version() -> str:
    """The current version; creates one if none is stored yet (first start, Redis flushed)."""
    cache = caches[CACHE_ALIAS]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_catalog_version() -> str:
    """Call after the catalog write has committed (`transaction.on_commit`)."""
    version = uuid.uuid4().hex
    caches[CACHE_ALIAS].set(VERSION_KEY, version, timeout=None)
    return version


def shareable(response: HttpResponse, *, vary_allowed: frozenset[str]) -> bool:
    """Whether a cache of catalog answers (the gateway's, product_svc's pages) may keep
    `response` for other callers: a plain 200 without cookies, nothing in its
    `Cache-Control` against sharing, and varying on no header but `vary_allowed`, the
    ones its key holds."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    control = response.get("Cache-Control", "")
    directives = {d.strip().split("=")[0].lower() for d in control.split(",")}
    vary = {token.strip().lower() for token in response.get("Vary", "").split(",")}
    return not (directives & NOT_SHAREABLE) and vary - {""} <= vary_allowed
