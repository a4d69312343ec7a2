"""Caching helpers every app uses.

Version tokens: a cached piece is keyed by a token kept in the database (one row, pk 1, of a
token model such as kpis.BoardVersion) and replaced in the same transaction as any write that
changes what the piece shows, so every process sees a change at once and a rolled-back write
changes nothing.

BoundedLocMemCache: a per-process memory cache bounded in bytes, not only in entries.

The board's cached pieces are large (the full-scale KPI matrix is 5.4 MB of HTML) and keyed by
filter, so Django's LocMemCache, which bounds only the number of entries, could hold gigabytes
per worker if someone walked every combination of period, area, phase and plan filter. This one
also drops the least recently used entries once the stored (pickled) values pass MAX_BYTES.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

CACHE_SECONDS = 60 * 60


def replace_token(model) -> None:
    """Give a version-token model (one row, pk 1) a new token, creating the row if need be."""
    token = uuid.uuid4().hex
    if not model.objects.filter(pk=1).update(token=token):
        model.objects.create(pk=1, token=token)


def read_token(model) -> str | None:
    return model.objects.filter(pk=1).values_list("token", flat=True).first()


def cached_value(name: str, parts: tuple, compute: Callable[[], object], token: str | None):
    """The value kept under the current token, or computed now and kept (None: no caching)."""
    if token is None:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return cache.get_or_set(f"board:{token}:{name}:{digest}", compute, CACHE_SECONDS)


def cached_fragment(name: str, parts: tuple, render: Callable[[], str], token: str | None) -> str:
    """A rendered HTML fragment, from the cache when nothing has changed."""
    return cached_value(name, parts, render, token)


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 256 * 1024 * 1024))
        # At least the bytes stored (sets add to it; deletes, culls and expiries, which only
        # lower the true total, do not): the exact sum, over every entry, is worked out only
        # when this passes the bound, not at every set (the matrix sets 150 columns at once).
        self._bytes_at_most = 0

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        # Called with the lock held; the newest entry is first, the least recently used last.
        super()._set(key, value, timeout)
        self._bytes_at_most += len(value)
        if self._bytes_at_most <= self._max_bytes:
            return
        total = sum(len(pickled) for pickled in self._cache.values())
        while total > self._max_bytes and len(self._cache) > 1:
            oldest, pickled = self._cache.popitem()
            self._expire_info.pop(oldest, None)
            total -= len(pickled)
        self._bytes_at_most = total

    @property
    def stored_bytes(self) -> int:
        with self._lock:
            return sum(len(pickled) for pickled in self._cache.values())
