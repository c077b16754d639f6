"""The catalog version: product_svc changes it on every catalog write, the gateway keys its
cache with it, so an answer cached before a write is never served after it.

A bump writes a value never used before rather than incrementing a counter: writes that
race can then never bring back an old version, even on a cache without atomic increment
(the embedded default, a folder on disk that both processes share).
"""

import uuid

from django.core.cache import caches

CACHE_ALIAS = "catalog"
VERSION_KEY = "catalog:version"


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
