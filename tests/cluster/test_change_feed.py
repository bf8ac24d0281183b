"""The change feed (server/cluster/feed.py): every command's effect goes to a Redis stream that
every node follows, so a node's view converges on what the others decided; a node that fell
behind the stream's trim reloads the whole state, and after Redis lost its state (its keys gone,
as after a restart: it keeps nothing on disk here) every node writes back its own values."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis

from server.cluster.feed import FeedFollower
from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import WriteThroughDispatchState
from server.core.agents import AgentProfile, Presence
from server.core.state import Offer, QueueEntry
from tests.support.redis import delete_prefix, unique_prefix

pytestmark = pytest.mark.redis

T = 1_764_859_000.5


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    name = unique_prefix("feed")
    yield name
    await delete_prefix(redis_url, name)


class Nodes:
    """Nodes on one prefix, each with its own Redis client (and, if asked, its follower)."""

    def __init__(self, url: str, prefix: str, stack: AsyncExitStack) -> None:
        self.url, self.prefix, self.stack = url, prefix, stack

    async def node(self, node_id: str, follow: bool = True,
                   feed_max_entries: int = 10_000) -> WriteThroughDispatchState:
        client = Redis.from_url(self.url, decode_responses=True)
        node = WriteThroughDispatchState(RedisDispatchState(
            client, self.prefix, node_id=node_id, feed_max_entries=feed_max_entries))
        await node.start()
        self.stack.push_async_callback(node.close)
        if follow:
            follower = FeedFollower(node, block_seconds=0.5, retry_seconds=0.2)
            follower.start()
            self.stack.push_async_callback(follower.stop)
        return node


@pytest.fixture
async def nodes(redis_url: str, prefix: str) -> AsyncIterator[Nodes]:
    async with AsyncExitStack() as stack:
        yield Nodes(redis_url, prefix, stack)


async def seen_by(node: WriteThroughDispatchState, condition: Callable[[], bool]) -> None:
    """Wait (on the node's change notifications, at most 5 s) until ``condition`` holds."""
    changed = asyncio.Event()

    async def note() -> None:
        changed.set()

    node.changed.append(note)
    try:
        async with asyncio.timeout(5):
            while not condition():
                changed.clear()
                await changed.wait()
    finally:
        node.changed.remove(note)


def ready(node: WriteThroughDispatchState, agent_id: str) -> None:
    node.connect_agent(AgentProfile(agent_id, agent_id.upper(), max_concurrent=1), T)
    node.set_presence(agent_id, Presence.AVAILABLE, T)


async def test_a_change_on_one_node_is_seen_by_the_other(nodes: Nodes) -> None:
    a, b = await nodes.node("node-a"), await nodes.node("node-b")
    ready(a, "lisa")
    a.enqueue(QueueEntry("c1", "general", 0, False, T))
    assert a.offer(Offer("c1", "lisa", T, T + 20)) is not None
    await a.flush()
    await seen_by(b, lambda: b.offer_for_agent("lisa") is not None)
    assert b.offer_for_case("c1") == Offer("c1", "lisa", T, T + 20)
    assert b.agent("lisa") == a.agent("lisa") and b.waiting("general") == a.waiting("general")
    # and back: B's accept reaches A
    assert b.accept("c1", "lisa", T + 1) is not None
    await b.flush()
    await seen_by(a, lambda: a.offer_for_case("c1") is None)
    status = a.agent("lisa")
    assert status is not None and status.cases == frozenset({"c1"}) and a.waiting("general") == []
    assert (a.followed, b.followed) >= (1, 1) and (a.conflicts, b.conflicts) == (0, 0)


async def test_a_node_takes_the_shared_result_of_a_command_another_node_beat(
        nodes: Nodes) -> None:
    a, b = await nodes.node("node-a", follow=False), await nodes.node("node-b", follow=False)
    ready(a, "lisa")
    a.enqueue(QueueEntry("c1", "general", 0, False, T))
    await a.flush()
    await b.follow(await b.shared.read_feed(b.revision, 10))
    b.enqueue(QueueEntry("c2", "general", 0, False, T + 1))
    # both ring Lisa for their own case in the same instant; A is written first
    assert a.offer(Offer("c1", "lisa", T, T + 20)) is not None
    assert b.offer(Offer("c2", "lisa", T, T + 20)) is not None
    await a.flush()
    conflicts = await b.flush()
    assert [(c.command, c.shared) for c in conflicts] == [("offer", None)]
    assert b.offer_for_case("c2") is None  # the view holds the shared truth, not its guess
    assert [e.case_id for e in b.waiting("general")] == ["c1", "c2"]


async def test_a_node_behind_the_trimmed_feed_reloads_the_whole_state(nodes: Nodes) -> None:
    a = await nodes.node("node-a", follow=False, feed_max_entries=10)
    b = await nodes.node("node-b", follow=False)
    ready(a, "lisa")
    for i in range(300):  # far past the cap: Redis trims the stream in blocks of 100
        a.enqueue(QueueEntry(f"c{i}", "general", 0, False, T + i))
    await a.flush()
    length = await a.shared.redis.xlen(a.shared.feed_key)
    assert length < 300
    await b.follow(await b.shared.read_feed(b.revision, 10))
    assert b.reloads == 2  # the start, and the gap
    assert b.waiting("general") == a.waiting("general") and len(b.waiting("general")) == 300
    assert b.agent("lisa") == a.agent("lisa") and b.revision == a.shared.revision


async def test_after_redis_lost_its_state_every_node_writes_back_its_own_values(
        nodes: Nodes, redis_url: str, prefix: str) -> None:
    a, b = await nodes.node("node-a"), await nodes.node("node-b")
    ready(a, "lisa")
    a.enqueue(QueueEntry("c1", "general", 0, False, T))
    assert a.offer(Offer("c1", "lisa", T, T + 20)) is not None
    ready(b, "omar")
    b.enqueue(QueueEntry("c2", "general", 1, False, T + 1))
    await a.flush()
    await b.flush()
    await seen_by(a, lambda: a.agent("omar") is not None)
    await seen_by(b, lambda: b.offer_for_case("c1") is not None)
    before = await a.shared.snapshot()

    await delete_prefix(redis_url, prefix)  # what a Redis restart leaves: nothing

    def whole(node: WriteThroughDispatchState) -> Callable[[], bool]:
        return lambda: (node.reseeds == 1 and {x.profile.id for x in node.agents()} == {"lisa", "omar"}
                        and len(node.waiting("general")) == 2 and len(list(node.offers())) == 1)

    await seen_by(a, whole(a))
    await seen_by(b, whole(b))
    after = await a.shared.snapshot()
    assert after.epoch != before.epoch
    assert (after.agents, after.entries, after.offers) == (before.agents, before.entries,
                                                           before.offers)
    # and the state works on: Omar's node rings him for B's case
    assert b.offer(Offer("c2", "omar", T + 2, T + 22)) is not None
    assert await b.flush() == []
