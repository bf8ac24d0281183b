"""The change-feed lag benchmark runs (a few changes) and reports its percentiles."""

from __future__ import annotations

import pytest

from bench.feed_lag import main

pytestmark = pytest.mark.redis


async def test_the_feed_lag_benchmark_reports_percentiles(redis_url: str) -> None:
    results = await main(10, redis_url)
    assert results["changes"] == 10
    assert 0 < results["lag_p50_ms"] <= results["lag_p99_ms"] <= results["lag_max_ms"]
