"""The dispatch-state benchmark runs (a few cycles) and reports both implementations."""

from __future__ import annotations

import pytest

from bench.dispatch_state import main

pytestmark = pytest.mark.redis


async def test_the_dispatch_state_benchmark_reports_memory_and_redis(redis_url: str) -> None:
    results = await main(10, redis_url)
    for name in ("memory", "redis"):
        assert results[name]["commands"] == 50
        assert results[name]["commands_per_second"] > 0
        assert set(results[name]["per_command_p99_ms"]) == {
            "enqueue", "offer", "accept", "set_presence", "release"}
