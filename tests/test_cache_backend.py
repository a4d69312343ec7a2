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


def test_redis_url_puts_the_page_caches_in_djangos_redis_cache():
    """settings.py read afresh with REDIS_URL set (a child process: settings load once)."""
    import json
    import os
    import subprocess
    import sys

    code = "import json, trustplan.settings as s; print(json.dumps(s.CACHES['default']))"
    env = {**os.environ, "REDIS_URL": "redis://cache.internal:6379/2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    default = json.loads(out)
    assert default["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert default["LOCATION"] == "redis://cache.internal:6379/2"
    assert default["KEY_PREFIX"] == "trustplan"


def test_with_redis_the_boards_fragments_are_kept_in_redis(settings, client_for, trust):
    """The cache tests' Redis case really is Redis: the matrix's fragment lands there, under
    the test's own prefix, and a second client (another server) is served it."""
    import redis
    from django.test import Client
    from django.urls import reverse

    from demo.values import generate_demo_values
    from tests.cache_backends import REDIS_URL, use_cache

    use_cache(settings, "redis", "")
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    generate_demo_values()
    url = reverse("kpis:matrix") + "?period=2023-24-autumn"
    first = client_for("trustee").get(url)
    assert first.status_code == 200
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")
    assert any(b":board:" in key and b":matrix:" in key for key in keys), keys
    other = Client()
    other.force_login(first.wsgi_request.user)
    assert other.get(url).content.count(b"rag-cell") == first.content.count(b"rag-cell")
