"""Both dispatch-state implementations behind the asynchronous port, each clean per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.cluster.port import AsyncDispatchState, AsyncMemoryDispatchState
from server.cluster.redis_dispatch import RedisDispatchState
from tests.support.redis import delete_prefix, require_redis, unique_prefix


@pytest.fixture
async def redis_url() -> str:
    return await require_redis()


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[AsyncDispatchState]:
    if request.param == "memory":
        yield AsyncMemoryDispatchState()
        return
    url = await require_redis()
    prefix = unique_prefix("contract")
    client = Redis.from_url(url, decode_responses=True)
    try:
        yield RedisDispatchState(client, prefix)
    finally:
        await client.aclose()
        await delete_prefix(url, prefix)


@pytest.fixture
async def shared(redis_url: str) -> AsyncIterator[RedisDispatchState]:
    """A client of its own on a fresh prefix: what every node of the test reads and writes."""
    prefix = unique_prefix("shared")
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield RedisDispatchState(client, prefix)
    finally:
        await client.aclose()
        await delete_prefix(redis_url, prefix)
