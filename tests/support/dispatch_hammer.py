"""Several processes offering, accepting, declining, expiring and releasing at once against one
Redis dispatch state, each logging every command with the revision Redis gave it.

The revision is bumped inside every command's script, so the merged logs of all processes are
the one order in which Redis applied them. ``verify`` replays that order through the in-memory
reference (core/state.py) and checks, after every command, that Redis answered what the
reference answers and that the invariants hold: no agent offered more cases than their capacity,
no case offered to two agents, no case lost or duplicated.
"""

from __future__ import annotations

import asyncio
import pickle
import random
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from server.cluster.redis_dispatch import RedisDispatchState
from server.core.agents import AgentProfile, AgentStatus, Presence
from server.core.state import MemoryDispatchState, Offer, QueueEntry

QUEUE = "general"
#: each process re-reads the state every this many steps, and acts on its stale view between
REFRESH = 8

#: (revision, command, args, result)
Logged = tuple[int, str, tuple[Any, ...], Any]


def profiles(count: int) -> list[AgentProfile]:
    """Agents with capacities 1, 2 and 3 in turn."""
    return [AgentProfile(f"agent-{i:02d}", f"Agent {i}", max_concurrent=1 + i % 3)
            for i in range(count)]


class LoggingState:
    """Runs commands on the Redis state and logs each with its revision."""

    def __init__(self, state: RedisDispatchState) -> None:
        self.state = state
        self.log: list[Logged] = []

    async def run(self, name: str, *args: Any) -> Any:
        result = await getattr(self.state, name)(*args)
        self.log.append((self.state.revision, name, args, result))
        return result


async def set_up(url: str, prefix: str, agents: int, cases: int) -> list[Logged]:
    """Every agent signed in and available, every case waiting."""
    client = Redis.from_url(url, decode_responses=True)
    try:
        state = LoggingState(RedisDispatchState(client, prefix))
        now = time.time()
        for profile in profiles(agents):
            await state.run("connect_agent", profile, now)
            await state.run("set_presence", profile.id, Presence.AVAILABLE, now)
        for i in range(cases):
            await state.run("enqueue", QueueEntry(f"case-{i:04d}", QUEUE, i % 3, False, now + i))
        return state.log
    finally:
        await client.aclose()


@dataclass
class WorkerResult:
    log: list[Logged] = field(default_factory=list)
    reads: int = 0


async def _work(url: str, prefix: str, seed: int, agents: int, max_commands: int,
                seconds: float) -> WorkerResult:
    rng = random.Random(seed)
    ids = [p.id for p in profiles(agents)]
    client = Redis.from_url(url, decode_responses=True)
    result = WorkerResult()
    try:
        state = LoggingState(RedisDispatchState(client, prefix))
        deadline = time.monotonic() + seconds
        view: tuple[list[QueueEntry], list[Offer], list[AgentStatus]] = ([], [], [])
        step = 0
        while len(state.log) < max_commands and time.monotonic() < deadline:
            if step % REFRESH == 0:
                # a view that goes stale on purpose: the commands must hold against what the
                # other processes did since (each re-checks its precondition in its script)
                view = (await state.state.waiting(QUEUE), await state.state.offers(),
                        await state.state.agents())
                result.reads += 3
                if not any(view[0]) and not view[1] and not any(a.cases for a in view[2]):
                    break  # every case was served: nothing left to do
            step += 1
            waiting, offers, statuses = view
            now = time.time()
            roll = rng.random()
            if roll < 0.40:
                if waiting:
                    case = rng.choice(waiting[:6]).case_id  # the front of the queue: contended
                    await state.run("offer", Offer(case, rng.choice(ids), now, now + 20))
            elif roll < 0.65:
                if offers:
                    offer = rng.choice(offers)
                    agent = offer.agent_id if rng.random() < 0.9 else rng.choice(ids)
                    await state.run("accept", offer.case_id, agent, now)
            elif roll < 0.72:
                if offers:
                    offer = rng.choice(offers)
                    await state.run("decline", offer.case_id, offer.agent_id)
            elif roll < 0.75:
                if offers:
                    await state.run("expire", rng.choice(offers).case_id, now + 30)
            elif roll < 0.85:
                await state.run("set_presence", rng.choice(ids), Presence.AVAILABLE, now)
            else:
                holding = [a for a in statuses if a.cases]
                if holding:
                    status = rng.choice(holding)
                    await state.run("release", status.profile.id, rng.choice(sorted(status.cases)),
                                    now)
        result.log = state.log
        return result
    finally:
        await client.aclose()


def worker(url: str, prefix: str, seed: int, agents: int, max_commands: int, seconds: float,
           start: Event, out: str) -> None:
    """One process of the hammer (spawned): waits for the start, works, writes its log."""
    start.wait(30)
    result = asyncio.run(_work(url, prefix, seed, agents, max_commands, seconds))
    Path(out).write_bytes(pickle.dumps(result))


@dataclass
class Verdict:
    commands: int
    offers_made: int
    accepted: int
    released: int
    refused: int


def verify(logs: list[Logged], agents: int, cases: int) -> Verdict:
    """Replay the merged logs in Redis's order through the reference and check every step."""
    ordered = sorted(logs, key=lambda entry: entry[0])
    revisions = [entry[0] for entry in ordered]
    assert revisions == list(range(1, len(ordered) + 1)), "a command is missing from the logs"
    capacity = {p.id: p.max_concurrent for p in profiles(agents)}
    everything: set[str] = set()  # every case enqueued so far
    model = MemoryDispatchState()
    done: set[str] = set()
    made = accepted = released = refused = 0
    for revision, name, args, redis_result in ordered:
        before = model.agent(args[0]) if name == "release" else None
        expected = getattr(model, name)(*args)
        if name == "enqueue":
            everything.add(args[0].case_id)
        assert redis_result == expected, (
            f"revision {revision}: Redis answered {name}{args} with {redis_result!r},"
            f" the reference with {expected!r}")
        if expected is None:
            refused += 1
        elif name == "offer":
            made += 1
        elif name == "accept":
            accepted += 1
        elif name == "release" and before is not None and args[1] in before.cases:
            assert args[1] not in done, f"case {args[1]} was finished twice"
            done.add(args[1])
            released += 1
        _check(model, capacity, everything, done, revision)
    assert len(everything) == cases
    return Verdict(len(ordered), made, accepted, released, refused)


def _check(model: MemoryDispatchState, capacity: dict[str, int], everything: set[str],
           done: set[str], revision: int) -> None:
    held: dict[str, str] = {}
    for status in model.agents():
        ringing = 1 if model.offer_for_agent(status.profile.id) is not None else 0
        assert len(status.cases) + ringing <= capacity[status.profile.id], (
            f"revision {revision}: {status.profile.id} has {len(status.cases)} cases"
            f" and {ringing} offer, capacity {capacity[status.profile.id]}")
        for case_id in status.cases:
            assert case_id not in held, f"revision {revision}: {case_id} is held by two agents"
            held[case_id] = status.profile.id
    offered: dict[str, str] = {}
    for offer in model.offers():
        assert offer.case_id not in offered, f"revision {revision}: {offer.case_id} offered twice"
        offered[offer.case_id] = offer.agent_id
        assert model.entry(offer.case_id) is not None and offer.case_id not in held
    queued = {e.case_id for e in model.waiting(QUEUE)}
    assert not (queued & set(held)) and not (queued & done) and not (set(held) & done), (
        f"revision {revision}: a case is in two places")
    assert queued | set(held) | done == everything, (
        f"revision {revision}: lost {sorted(everything - queued - set(held) - done)[:5]}")
