"""Dispatch-state commands per second and their latency: in memory vs Redis, in the same run.

    flock /tmp/helpwire-bench.lock .venv/bin/python -m bench.dispatch_state [--cycles 2000]
    .venv/bin/python -m bench.dispatch_state --smoke

One client, one command at a time (what one node's hub does when it writes the engine's
commands through): each cycle is the life of one case in the dispatch state — ``enqueue``,
``offer``, ``accept``, ``release`` — plus a ``set_presence`` of its agent, over 20 agents. The
in-memory figure is the reference the engine calls (core/state.py, behind the same awaited
port, so both pay the same timing overhead); the Redis figure
is server/cluster/redis_dispatch.py (one Lua script per command) against HELPWIRE_BENCH_REDIS_URL
(default redis://127.0.0.1:6379/0) under a prefix of its own, deleted afterwards. The time is the
client's: a round trip over loopback, the script, and decoding the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from redis.asyncio import Redis

from server.cluster.port import AsyncDispatchState, AsyncMemoryDispatchState
from server.cluster.redis_dispatch import RedisDispatchState
from server.core.agents import AgentProfile, Presence
from server.core.state import Offer, QueueEntry

AGENTS = 20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _timed(samples: dict[str, list[float]], name: str, call: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await call
    samples[name].append(time.perf_counter() - started)
    return result


async def run(state: AsyncDispatchState, cycles: int) -> dict[str, Any]:
    profiles = [AgentProfile(f"agent-{i}", f"Agent {i}", max_concurrent=3) for i in range(AGENTS)]
    now = time.time()
    for profile in profiles:
        await state.connect_agent(profile, now)
        await state.set_presence(profile.id, Presence.AVAILABLE, now)
    samples: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    for n in range(cycles):
        agent = profiles[n % AGENTS].id
        case = f"case-{n}"
        now = time.time()
        await _timed(samples, "enqueue", state.enqueue(QueueEntry(case, "general", 0, False, now)))
        offer = await _timed(samples, "offer", state.offer(Offer(case, agent, now, now + 20)))
        assert offer is not None
        assert await _timed(samples, "accept", state.accept(case, agent, now)) is not None
        await _timed(samples, "set_presence", state.set_presence(agent, Presence.AVAILABLE, now))
        await _timed(samples, "release", state.release(agent, case, now))
    elapsed = time.perf_counter() - started
    every = [s for values in samples.values() for s in values]
    return {
        "commands": len(every),
        "commands_per_second": round(len(every) / elapsed),
        "p50_ms": round(1000 * percentile(every, 0.5), 3),
        "p99_ms": round(1000 * percentile(every, 0.99), 3),
        "per_command_p99_ms": {name: round(1000 * percentile(values, 0.99), 3)
                               for name, values in samples.items()},
    }


async def main(cycles: int, url: str | None = None) -> dict[str, Any]:
    url = url or os.environ.get("HELPWIRE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    results: dict[str, Any] = {"cycles": cycles}
    results["memory"] = await run(AsyncMemoryDispatchState(), cycles)
    client = Redis.from_url(url, decode_responses=True)
    redis_state = RedisDispatchState(client, f"helpwire-bench-{uuid.uuid4().hex[:8]}")
    try:
        results["redis"] = await run(redis_state, cycles)
    finally:
        await redis_state.reset()
        await client.aclose()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="a few cycles, to check it runs")
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(20 if options.smoke else options.cycles)), indent=2))
