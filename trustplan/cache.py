"""A per-process memory cache bounded in bytes, not only in entries.

The board's cached pieces are large (the full-scale KPI matrix is 5.4 MB of HTML) and keyed by
filter, so Django's LocMemCache, which bounds only the number of entries, could hold gigabytes
per worker if someone walked every combination of period, area, phase and plan filter. This one
also drops the least recently used entries once the stored (pickled) values pass MAX_BYTES.
"""

from __future__ import annotations

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 256 * 1024 * 1024))

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        # Called with the lock held; the newest entry is first, the least recently used last.
        super()._set(key, value, timeout)
        total = sum(len(pickled) for pickled in self._cache.values())
        while total > self._max_bytes and len(self._cache) > 1:
            oldest, pickled = self._cache.popitem()
            self._expire_info.pop(oldest, None)
            total -= len(pickled)

    @property
    def stored_bytes(self) -> int:
        with self._lock:
            return sum(len(pickled) for pickled in self._cache.values())
