"""The product list's pagination, with its `count` kept in the catalog cache.

Counting the matches was the list's most expensive step (a `COUNT(*)` over every
matching row, 30% of a page's time), and its answer changes only when the catalog
does. So a count is stored with the catalog version it was counted under, and reused
only while that version is current: every catalog write (stock included) bumps the
version once it commits (`services.catalog_changed`), and the count is taken again.
The version is read before counting, so a count taken while a write commits is stored
under the version that write replaces and never outlives it.
"""

import hashlib
import logging

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

from shop_common.catalog import CACHE_ALIAS, CACHE_ERRORS, VERSION_KEY, catalog_version
from shop_common.pagination import PageNumberPagination

logger = logging.getLogger(__name__)
# Part of every count's key: change it when what is stored changes.
COUNT_PREFIX = "catalog:count:v1:"
# Counts of filters nobody asks for again go after this; a current one is just recounted.
COUNT_TTL = 600


def count_key(queryset: QuerySet) -> str:
    """The key of a query's count: its SQL and parameters without the order, so any
    filter, the visibility of inactive products included, counts under a key of its own,
    and every ordering of one filter under the same."""
    sql, params = queryset.order_by().query.sql_with_params()
    return COUNT_PREFIX + hashlib.sha256(repr((sql, params)).encode()).hexdigest()


def catalog_count(queryset: QuerySet) -> int:
    """How many rows `queryset` has, from the cache while the catalog is unchanged.

    Inside a transaction the database is asked: its own writes are not yet in the
    version. Without the cache (Redis down) too: the list never fails for a count.
    """
    if connections[queryset.db].in_atomic_block:
        return queryset.count()
    try:
        key = count_key(queryset)
    except EmptyResultSet:  # matches nothing whatever the data (an unknown category)
        return 0
    cache = caches[CACHE_ALIAS]
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or catalog_version()
    except CACHE_ERRORS as exc:
        logger.warning("catalog cache unavailable: counting in the database", exc_info=exc)
        return queryset.count()
    stored = found.get(key)
    if isinstance(stored, tuple) and stored[0] == version:
        return stored[1]
    count = queryset.count()
    try:
        cache.set(key, (version, count), timeout=COUNT_TTL)
    except CACHE_ERRORS as exc:
        logger.warning("catalog cache unavailable: count not kept", exc_info=exc)
    return count


class CatalogPaginator(Paginator):
    # Django's cached_property, as Paginator's own: Python 3.11's functools one holds a
    # lock per class, which made every thread of a worker wait for one count's Redis call.
    @cached_property
    def count(self) -> int:
        return catalog_count(self.object_list)


class CatalogPagination(PageNumberPagination):
    """The contract's pagination (`count`, `next`, `previous`, `results`), counted once
    per catalog version and filter."""

    django_paginator_class = CatalogPaginator
