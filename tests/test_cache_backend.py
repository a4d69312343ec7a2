"""The per-process cache is bounded in bytes: the least recently used entries go first."""

import pytest

from core.cache import BoundedLocMemCache


@pytest.fixture
def small_cache():
    cache = BoundedLocMemCache(
        "bounded-test", {"OPTIONS": {"MAX_ENTRIES": 100, "MAX_BYTES": 10_000}}
    )
    cache.clear()
    yield cache
    cache.clear()


def test_it_drops_the_least_recently_used_entries_past_its_byte_limit(small_cache):
    for name in "abcd":
        small_cache.set(name, "x" * 3_000)  # about 3 KB each when pickled
    assert small_cache.stored_bytes <= 10_000
    assert small_cache.get("a") is None  # the oldest went
    assert small_cache.get("d") == "x" * 3_000


def test_reading_an_entry_keeps_it(small_cache):
    for name in "abc":
        small_cache.set(name, "x" * 3_000)
    assert small_cache.get("a")  # now the most recently used
    small_cache.set("d", "x" * 3_000)
    assert small_cache.get("a") == "x" * 3_000
    assert small_cache.get("b") is None


def test_one_entry_larger_than_the_limit_is_still_kept_alone(small_cache):
    small_cache.set("a", "x" * 100)
    small_cache.set("big", "y" * 20_000)
    assert small_cache.get("big") == "y" * 20_000
    assert small_cache.get("a") is None


def test_the_project_uses_it():
    # Read from the settings module: the test suite itself runs on a dummy cache (conftest).
    from trustplan import settings

    default = settings.CACHES["default"]
    assert default["BACKEND"] == "core.cache.BoundedLocMemCache"
    assert default["OPTIONS"]["MAX_BYTES"] == 256 * 1024 * 1024
