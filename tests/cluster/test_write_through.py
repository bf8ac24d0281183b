"""The node's write-through view (server/cluster/replica.py) against the machine's Redis: commands
reach Redis in the order the engine issued them, are kept while Redis cannot be reached (through
a TCP proxy the test cuts) and applied once it answers, and a command another node beat is
counted as a conflict."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlparse

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.cluster.port import Applied
from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import WriteThroughDispatchState
from server.core.agents import AgentProfile, Presence
from server.core.state import Offer, QueueEntry
from tests.support.redis import delete_prefix, unique_prefix
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.redis

T = 1_764_859_000.5


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    name = unique_prefix("write-through")
    yield name
    await delete_prefix(redis_url, name)


@pytest.fixture
async def other_node(redis_url: str, prefix: str) -> AsyncIterator[RedisDispatchState]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield RedisDispatchState(client, prefix)
    await client.aclose()


async def test_commands_reach_redis_in_the_order_the_engine_issued_them(
        redis_url: str, prefix: str, other_node: RedisDispatchState) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    node = WriteThroughDispatchState(RedisDispatchState(client, prefix))
    try:
        await node.start()
        node.connect_agent(AgentProfile("a1", "Lisa"), T)
        node.set_presence("a1", Presence.AVAILABLE, T)
        node.enqueue(QueueEntry("c1", "general", 0, False, T))
        assert node.offer(Offer("c1", "a1", T, T + 20)) is not None
        assert node.pending == 4 and await other_node.offers() == []  # nothing sent yet
        await node.flush()
        assert (node.pending, node.applied, node.conflicts) == (0, 4, 0)
        assert await other_node.offer_for_agent("a1") == Offer("c1", "a1", T, T + 20)
        assert await other_node.agent("a1") == node.agent("a1")
    finally:
        await node.close()


async def test_commands_wait_while_redis_is_cut_and_are_applied_once_it_answers(
        redis_url: str, prefix: str, other_node: RedisDispatchState) -> None:
    target = urlparse(redis_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        client = Redis(host="127.0.0.1", port=proxy.port, decode_responses=True,
                       socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        clock = [0.0]
        node = WriteThroughDispatchState(RedisDispatchState(client, prefix), retry_seconds=5.0,
                                         monotonic=lambda: clock[0])
        try:
            await node.start()
            node.connect_agent(AgentProfile("a1", "Lisa"), T)
            node.set_presence("a1", Presence.AVAILABLE, T)
            await node.flush()
            await proxy.cut()
            node.enqueue(QueueEntry("c1", "general", 0, False, T))
            node.offer(Offer("c1", "a1", T, T + 20))
            await node.flush()  # does not raise: the node goes on serving its own cases
            assert (node.pending, node.available) == (2, False)
            assert node.offer_for_case("c1") is not None  # the local view has it already
            await proxy.restore()
            clock[0] = 4.9  # within retry_seconds of the failure: not tried again yet
            await node.flush()
            assert node.pending == 2
            clock[0] = 5.0
            await node.flush()
            assert (node.pending, node.available, node.conflicts) == (0, True, 0)
            assert await other_node.offer_for_case("c1") == Offer("c1", "a1", T, T + 20)
        finally:
            await node.close()


async def test_a_command_another_node_beat_is_counted_as_a_conflict(
        redis_url: str, prefix: str, other_node: RedisDispatchState) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    node = WriteThroughDispatchState(RedisDispatchState(client, prefix))
    try:
        await node.start()
        for agent_id in ("a1", "a2"):
            node.connect_agent(AgentProfile(agent_id, agent_id), T)
            node.set_presence(agent_id, Presence.AVAILABLE, T)
        node.enqueue(QueueEntry("c1", "general", 0, False, T))
        await node.flush()
        # another node rings a2 for the case first; this node's view has not heard of it
        assert await other_node.offer(Offer("c1", "a2", T, T + 20)) is not None
        assert node.offer(Offer("c1", "a1", T, T + 20)) is not None
        await node.flush()
        assert node.conflicts == 1
        assert await other_node.offer_for_case("c1") == Offer("c1", "a2", T, T + 20)
    finally:
        await node.close()


class LosesAReply(RedisDispatchState):
    """Redis applies the command, but its reply never arrives (the connection broke)."""

    lose_next = False

    async def apply(self, name: str, args: tuple[Any, ...], command_id: str = "") -> Applied:
        applied = await super().apply(name, args, command_id)
        if self.lose_next:
            self.lose_next = False
            raise ConnectionError("the reply was lost with the connection")
        return applied


async def test_a_command_whose_reply_was_lost_is_applied_once_when_sent_again(
        redis_url: str, prefix: str, other_node: RedisDispatchState) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    shared = LosesAReply(client, prefix, node_id="node-a")
    node = WriteThroughDispatchState(shared, retry_seconds=0.0)
    try:
        await node.start()
        node.connect_agent(AgentProfile("a1", "Lisa", max_concurrent=1), T)
        node.set_presence("a1", Presence.AVAILABLE, T)
        node.enqueue(QueueEntry("c1", "general", 0, False, T))
        node.offer(Offer("c1", "a1", T, T + 20))
        await node.flush()
        shared.lose_next = True
        node.accept("c1", "a1", T + 1)
        await node.flush()
        assert (node.pending, node.available) == (1, False)  # kept: the node cannot know
        applied_at = await other_node.redis.get(other_node.prefix + "rev")
        await node.flush()  # sent again under the same id: answered, not applied twice
        assert (node.pending, node.available, node.conflicts) == (0, True, 0)
        assert await other_node.redis.get(other_node.prefix + "rev") == applied_at
        status = await other_node.agent("a1")
        assert status is not None and status.cases == frozenset({"c1"})
        assert node.agent("a1") == status
    finally:
        await node.close()


async def test_redis_keeps_a_command_id_for_applied_ttl_seconds(
        redis_url: str, prefix: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    state = RedisDispatchState(client, prefix, node_id="node-a", applied_ttl_seconds=42)
    try:
        await state.apply("dequeue", ("c1",), "node-a:run:1")
        assert 41 <= await client.ttl(state.prefix + "done:node-a:run:1") <= 42
    finally:
        await client.aclose()


async def test_the_journal_keeps_max_journal_commands_and_one_more_makes_the_view_the_record(
        redis_url: str, prefix: str, other_node: RedisDispatchState) -> None:
    target = urlparse(redis_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        client = Redis(host="127.0.0.1", port=proxy.port, decode_responses=True,
                       socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        clock = [0.0]
        node = WriteThroughDispatchState(RedisDispatchState(client, prefix, node_id="node-a"),
                                         retry_seconds=1.0, max_journal=3,
                                         monotonic=lambda: clock[0])
        try:
            await node.start()
            node.connect_agent(AgentProfile("a1", "Lisa"), T)
            node.enqueue(QueueEntry("gone", "general", 0, False, T))
            await node.flush()
            await proxy.cut()
            node.set_presence("a1", Presence.AVAILABLE, T)
            await node.flush()
            assert not node.available
            node.dequeue("gone")
            node.enqueue(QueueEntry("c1", "general", 0, False, T))
            assert (node.pending, node.refusal(), node.whole.is_set()) == (3, None, True)
            node.offer(Offer("c1", "a1", T, T + 20))  # one past: dropped, the view is the record
            assert (node.pending, node.refusal(), node.whole.is_set()) == (
                0, "cluster_unavailable", False)
            node.enqueue(QueueEntry("c2", "general", 0, False, T + 1))  # still served locally
            assert node.pending == 0
            await proxy.restore()
            clock[0] = 1.0
            await node.flush()
            assert (node.refusal(), node.available, node.whole.is_set()) == (None, True, True)
            # the shared state holds the view: what was dequeued meanwhile is gone too
            assert [e.case_id for e in await other_node.waiting("general")] == ["c1", "c2"]
            assert await other_node.offer_for_case("c1") == Offer("c1", "a1", T, T + 20)
            assert await other_node.agent("a1") == node.agent("a1")
        finally:
            await node.close()
