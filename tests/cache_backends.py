"""The page caches' backends the cache-correctness tests run on: the per-process one, and
Django's RedisCache on the real Redis at 127.0.0.1:6379 (settings.REDIS_URL, issue 19).

Each Redis test gets keys of its own (a fresh KEY_PREFIX) rather than clearing the database,
so parallel test workers and a benchmark sharing the Redis never wipe each other's entries.
Without a Redis the Redis cases are skipped, saying so, unless TRUSTPLAN_REQUIRE_REDIS=1
(.ci/run starts Redis and sets it), when they fail.
"""

from __future__ import annotations

import os
import uuid

import pytest

REDIS_URL = os.environ.get("TRUSTPLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
BACKENDS = ["locmem", "redis"]


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def use_cache(settings, kind: str, location: str) -> None:
    """Point the default cache at ``kind``: a fresh LocMemCache, or Redis under a new prefix."""
    if kind == "redis":
        if not redis_available():
            message = (
                f"Redis is not running at {REDIS_URL}: start it (redis-server --daemonize yes)"
            )
            if os.environ.get("TRUSTPLAN_REQUIRE_REDIS") == "1":
                pytest.fail(message)
            pytest.skip(message)
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": location,
        }
    }
    from django.core.cache import cache

    cache.clear()
