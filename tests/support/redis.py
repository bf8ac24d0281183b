"""The Redis server the tests use (HELPWIRE_TEST_REDIS_URL), and a key prefix of one's own on it.

When it cannot be reached a test is skipped with the reason, or fails when CI is set, so it is
never silently lost. Every test gets a unique prefix and its keys are deleted afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest
from redis.asyncio import Redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_URL = os.environ.get("HELPWIRE_TEST_REDIS_URL") or DEFAULT_REDIS_URL

HOW_TO_START_REDIS = (
    "install and start it with `apt-get install redis-server && redis-server --daemonize yes` "
    f"and point HELPWIRE_TEST_REDIS_URL at it (default {DEFAULT_REDIS_URL})"
)


async def redis_problem(url: str = REDIS_URL) -> str | None:
    """Why Redis at ``url`` cannot be used, or None when it can."""
    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as error:  # any failure to connect means "not available"
        return f"{type(error).__name__}: {error}"
    finally:
        await client.aclose()
    return None


async def require_redis(url: str = REDIS_URL) -> str:
    """The URL, once it is known to answer; otherwise skip (locally) or fail (in CI) saying how."""
    problem = await redis_problem(url)
    if problem is not None:
        message = f"Redis at {url} is not reachable ({problem}); " + HOW_TO_START_REDIS
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


def unique_prefix(purpose: str) -> str:
    return f"helpwire-test-{purpose}-{uuid.uuid4().hex[:12]}"


async def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key of a test's prefix (hash-tagged or not)."""
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
