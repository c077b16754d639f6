"""Django's file cache, made safe for counters that several processes share.

`FileBasedCache.add` and `incr` read, then write: two gunicorn workers (or two threads)
adding one each can both write the same number, so a rate limit on the embedded defaults
would let through more than its limit. Here every write holds one lock file of the folder
(Django's portable `locks`), so they happen one at a time across processes. And when the
folder is full, expired entries go first: Django's would drop live counters at random.
"""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

T = TypeVar("T")


def exclusive(method: Callable[..., T]) -> Callable[..., T]:
    @wraps(method)
    def locked(self: "FileCache", *args: Any, **kwargs: Any) -> T:
        with self.lock():
            return method(self, *args, **kwargs)

    return locked


class FileCache(FileBasedCache):
    """`FileBasedCache` whose writes (and `add`, `incr`, which read first) are atomic."""

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._holding = threading.local()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The folder's lock, once per thread: `incr` calls `set`, which locks too."""
        if getattr(self._holding, "lock", False):
            yield
            return
        self._createdir()
        with open(os.path.join(self._dir, "writes.lock"), "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            self._holding.lock = True
            try:
                yield
            finally:
                self._holding.lock = False
                locks.unlock(lock_file)

    def _cull(self) -> None:
        """Past `MAX_ENTRIES`, remove the expired entries; only if that is not enough,
        Django's random third."""
        if len(self._list_cache_files()) < self._max_entries:
            return
        for name in self._list_cache_files():
            try:
                with open(name, "rb") as entry:
                    self._is_expired(entry)  # removes it when expired
            except FileNotFoundError:
                pass
        super()._cull()

    add = exclusive(FileBasedCache.add)
    set = exclusive(FileBasedCache.set)
    incr = exclusive(FileBasedCache.incr)
    touch = exclusive(FileBasedCache.touch)
    delete = exclusive(FileBasedCache.delete)
