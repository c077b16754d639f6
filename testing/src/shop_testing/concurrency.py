"""Races for concurrency tests: real threads, each on its own database connection."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection

T = TypeVar("T")

# For a module whose races need PostgreSQL.
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite runs one writer at a time, so nothing can race",
)


def race(calls: list[Callable[[], T]]) -> list[T]:
    """Start every call at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        try:
            barrier.wait()
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
