"""The Redis server for the tests of the shared rate limit: ``TEST_REDIS_URL`` (default:
the local server). When it cannot be reached those tests skip on a developer machine, but
under ``CI=true`` they fail: CI must never pass without having run them (as PostgreSQL's,
tests/databases.py)."""

from __future__ import annotations

import os

import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Nothing listens there: connecting is refused at once.
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


def require_redis() -> str:
    """The server's URL; skips (or, under CI, fails) when it does not answer."""
    try:
        with redis.Redis.from_url(redis_url(), socket_connect_timeout=3) as client:
            client.ping()
    except (redis.RedisError, OSError) as error:
        message = f"Redis is not reachable at {redis_url()}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return redis_url()
