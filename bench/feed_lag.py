"""How long a change on one node takes to reach another node's view through the change feed.

Two nodes (their views and feed followers, each with its own Redis client) on one key prefix of
the machine's Redis. Node A flips its agent's presence and writes it through; the lag is from
the start of A's write-through until B's follower has taken the change into B's view (B's change
listener, no polling). One change at a time, so the figure is the feed's own latency: the script
on Redis, XREAD BLOCK waking, decoding and applying the entry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from server.cluster.feed import FeedFollower
from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import WriteThroughDispatchState
from server.core.agents import AgentProfile, Presence


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def main(changes: int, url: str | None = None) -> dict[str, Any]:
    url = url or os.environ.get("HELPWIRE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"helpwire-bench-feed-{uuid.uuid4().hex[:8]}"
    clients = [Redis.from_url(url, decode_responses=True) for _ in range(2)]
    a, b = (WriteThroughDispatchState(RedisDispatchState(c, prefix, node_id=name))
            for c, name in zip(clients, ("node-a", "node-b"), strict=True))
    for node in (a, b):
        await node.start()
    follower = FeedFollower(b, block_seconds=1.0, retry_seconds=0.5)
    follower.start()
    seen = asyncio.Event()

    async def changed() -> None:
        seen.set()

    b.changed.append(changed)
    lags: list[float] = []
    try:
        a.connect_agent(AgentProfile("agent", "Agent"), time.time())
        await a.flush()
        for n in range(changes):
            presence = Presence.AVAILABLE if n % 2 == 0 else Presence.AWAY
            a.set_presence("agent", presence, time.time())
            seen.clear()
            started = time.perf_counter()
            await a.flush()
            while True:
                status = b.agent("agent")
                if status is not None and status.presence is presence:
                    break
                await asyncio.wait_for(seen.wait(), 5)
                seen.clear()
            lags.append(time.perf_counter() - started)
    finally:
        await follower.stop()
        await a.shared.reset()
        for node in (a, b):
            await node.close()
    return {"changes": changes,
            "lag_p50_ms": round(1000 * percentile(lags, 0.5), 3),
            "lag_p99_ms": round(1000 * percentile(lags, 0.99), 3),
            "lag_max_ms": round(1000 * max(lags), 3)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="a few changes, to check it runs")
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(10 if options.smoke else options.changes)), indent=2))
