"""Two real servers on one Redis prefix (and one store), an agent's console open on both: Help
presses on both nodes in the same instant ring her once, the other case waits (its customer
keeps a queue position), and when she is free again the other node — which only heard of it
through the change feed — rings her for its case. No agent above capacity, no case offered
twice, no case lost, and every client's story is coherent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from server.cluster.redis_dispatch import RedisDispatchState
from tests.integration.helpers import agent, agent_session, customer, ok, press_help
from tests.support.live import LiveServer

pytestmark = pytest.mark.redis


async def test_two_nodes_pressed_at_once_ring_a_shared_agent_once_and_the_other_when_she_is_free(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    cluster: dict[str, Any] = {"redis_url": redis_url, "key_prefix": shared.prefix.strip("{}:"),
                               "feed_block_seconds": 0.2}
    async with server_factory(cluster={**cluster, "node_id": "node-a"}) as node_a, \
            server_factory(cluster={**cluster, "node_id": "node-b"}) as node_b:
        lisa_a = await agent(node_a, "lisa", "Lisa", max_concurrent=1)
        lisa_b = await agent_session(node_b, lisa_a.id, lisa_a.token)  # her second tab
        shopper_a, shopper_b = await customer(node_a), await customer(node_b)
        helped_a, helped_b = await asyncio.gather(press_help(shopper_a), press_help(shopper_b))
        # both acknowledgements are in: whatever either node decided has been said
        offers = ([("a", o["case_id"]) for o in lisa_a.client.received["offer"]]
                  + [("b", o["case_id"]) for o in lisa_b.client.received["offer"]])
        assert len(offers) == 1, offers  # rung once, on the node that won
        (tab, first), = offers
        assert first in (helped_a["case_id"], helped_b["case_id"])
        winner, loser = (lisa_a, lisa_b) if tab == "a" else (lisa_b, lisa_a)
        waiting_shopper = shopper_b if first == helped_a["case_id"] else shopper_a
        other = helped_b["case_id"] if first == helped_a["case_id"] else helped_a["case_id"]
        ringing = await shared.offers()
        assert [(o.case_id, o.agent_id) for o in ringing] == [(first, lisa_a.id)]

        ok(await winner.call("offer_accept", {"case_id": first}))
        status = await shared.agent(lisa_a.id)
        assert status is not None and status.cases == frozenset({first})  # at capacity
        # the other case waits, and its customer is told where they are in the queue
        position = await waiting_shopper.wait_for("queue_status",
                                                  lambda p: p["case_id"] == other)
        assert position["position"] >= 1
        assert other in [e.case_id for q in await shared.queue_names()
                         for e in await shared.waiting(q)]
        assert loser.client.received["offer"] == []

        # she closes her case; the node hosting the other case hears it through the feed
        ok(await winner.call("case_close", {"case_id": first, "label": "betalningsfråga",
                                            "resolved": True}))
        offer = await loser.client.wait_for("offer", lambda o: o["case_id"] == other, timeout=5)
        assert offer["case_id"] == other
        ok(await loser.call("offer_accept", {"case_id": other}))
        await waiting_shopper.wait_for("agent_joined", lambda e: e["case_id"] == other)
        status = await shared.agent(lisa_a.id)
        assert status is not None and status.cases == frozenset({other})
        for node in (node_a, node_b):
            view = node.services.shared_dispatch
            assert view is not None and view.pending == 0
        for client in (shopper_a, shopper_b, lisa_a.client, lisa_b.client):
            await client.close()
