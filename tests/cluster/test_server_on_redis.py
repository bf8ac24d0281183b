"""A real server with its dispatch state in the machine's Redis (``[cluster] redis_url``): a Help
press, the agent's accept and the chat work end to end, and Redis holds what the node decided
before the participants hear of it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import pytest

from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import SharedStateUnavailable, WriteThroughDispatchState
from server.core.agents import Presence
from server.core.state import QueueEntry
from tests.integration.helpers import agent, agent_session, chat_round_trip, customer, ok, press_help
from tests.integration.test_case_flow import run_whole_case
from tests.support.live import LiveServer
from tests.support.redis import unique_prefix

pytestmark = pytest.mark.redis


def prefix_of(state: RedisDispatchState) -> str:
    return state.prefix.strip("{}:")


async def test_a_server_on_redis_serves_help_press_accept_and_chat_with_the_state_in_redis(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    # what this node's previous run left (the same node id) goes at start-up; what another node
    # holds stays, and is in this node's view
    previous_run = RedisDispatchState(shared.redis, prefix_of(shared), node_id="node-a")
    await previous_run.enqueue(QueueEntry("ghost-case", "general", 0, False, 1.0))
    other = RedisDispatchState(shared.redis, prefix_of(shared), node_id="node-b")
    await other.enqueue(QueueEntry("other-nodes-case", "general", 0, False, 2.0))
    cluster: dict[str, Any] = {"redis_url": redis_url, "key_prefix": prefix_of(shared),
                               "node_id": "node-a"}
    async with server_factory(cluster=cluster) as server:
        node = server.services.shared_dispatch
        assert isinstance(node, WriteThroughDispatchState)
        assert await shared.entry("ghost-case") is None
        assert node.entry("ghost-case") is None
        assert node.entry("other-nodes-case") == await shared.entry("other-nodes-case")
        await other.dequeue("other-nodes-case")

        lisa = await agent(server, "lisa", "Lisa")
        status = await shared.agent(lisa.id)
        assert status is not None and status.online and status.presence is Presence.AVAILABLE

        shopper = await customer(server)
        helped = await press_help(shopper)
        case_id = helped["case_id"]
        offer = await lisa.client.wait_for("offer", lambda o: o["case_id"] == case_id)
        # the offer was in Redis before the agent heard of it
        ringing = await shared.offer_for_agent(lisa.id)
        assert ringing is not None and ringing.case_id == offer["case_id"]
        assert case_id in [e.case_id for e in await shared.waiting(helped["case"]["queue"])]

        ok(await lisa.call("offer_accept", {"case_id": case_id}))
        await shopper.wait_for("agent_joined", lambda e: e["case_id"] == case_id)
        status = await shared.agent(lisa.id)
        assert status is not None and status.cases == frozenset({case_id})
        assert await shared.entry(case_id) is None and await shared.offers() == []

        await chat_round_trip(shopper, lisa, case_id, "över redis")

        ok(await lisa.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                          "resolved": True}))
        await shopper.wait_for("case_closed")
        status = await shared.agent(lisa.id)
        assert status is not None and status.cases == frozenset()
        assert (node.pending, node.conflicts) == (0, 0) and node.applied > 0
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
            metrics = await response.text()
        assert "helpwire_dispatch_state_pending_commands 0.0" in metrics
        assert "helpwire_dispatch_state_available 1.0" in metrics
        assert "helpwire_dispatch_state_conflicts_total 0.0" in metrics
        assert f"helpwire_dispatch_state_commands_total {float(node.applied)}" in metrics
        await shopper.close()
        await lisa.client.close()
    assert await shared.agent(lisa.id) is not None  # the state outlives the node


async def test_the_whole_life_of_a_case_runs_unchanged_on_redis(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    """The single-node flow (help, queue, offer, chat, reload, wrap-up, close, feedback)."""
    async with server_factory(cluster={"redis_url": redis_url,
                                       "key_prefix": prefix_of(shared)}) as server:
        case_id, agent_id, _ = await run_whole_case(server)
        node = server.services.shared_dispatch
        assert node is not None and (node.pending, node.conflicts) == (0, 0)
        status = await shared.agent(agent_id)
        assert status is not None and status.cases == frozenset()
        assert await shared.entry(case_id) is None and await shared.offers() == []


async def test_after_a_restart_redis_holds_the_restored_queue_and_the_agents_cases(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    cluster: dict[str, Any] = {"redis_url": redis_url, "key_prefix": prefix_of(shared)}
    async with server_factory(cluster=cluster) as first:
        lisa = await agent(first, "lisa", "Lisa", max_concurrent=1)
        answered = await customer(first)
        answered_ack = await press_help(answered)
        await lisa.accept_next_offer()
        waiting = await customer(first)
        waiting_ack = await press_help(waiting)  # Lisa is at capacity: it waits
        await first.flush()
    # the node is gone; its state is still in Redis, now rebuilt by the next start
    async with server_factory(cluster=cluster) as second:
        queue = waiting_ack["case"]["queue"]
        assert [e.case_id for e in await shared.waiting(queue)] == [waiting_ack["case_id"]]
        status = await shared.agent(lisa.id)
        assert status is not None and status.cases == frozenset({answered_ack["case_id"]})
        assert not status.online and status.lost_grace_until is not None  # back within grace
        lisa = await agent_session(second, lisa.id, lisa.token)
        back = await shared.agent(lisa.id)
        assert back is not None and back.online and back.cases == status.cases
        await lisa.client.close()


async def test_a_server_whose_redis_cannot_be_reached_refuses_to_start_saying_why(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    cluster = {"redis_url": "redis://127.0.0.1:1/0", "key_prefix": unique_prefix("down"),
               "redis_timeout_seconds": 1.0}
    with pytest.raises(SharedStateUnavailable, match=r"\[cluster\] redis_url"):
        async with server_factory(cluster=cluster):
            pass
