"""A node cut off from Redis (a TCP proxy in front of it, cut by the test) for longer than its
lease, while the store stays reachable: a survivor adopts its chat. The cut-off node's next write
of the case is fenced — the customer hears ``case_moving`` and nothing of it is stored — and it
lets the case go; when Redis answers again it finds its lease lost and adopts nothing for a
whole lease. The adopter holds the case and the customer carries on there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlparse

import pytest
import socketio

from server.cluster.membership import Membership
from server.cluster.redis_dispatch import RedisDispatchState
from server.core.history import ChatLineSent
from tests.integration.helpers import agent, agent_session, customer, ok, press_help, refused
from tests.support.live import LiveServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.redis

LEASE = 1.5
HEARTBEAT = 0.5
#: bounds, never sleeps
TIMEOUT = 15.0


async def until(what: str, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Wait (bounded) for a condition of an in-process node's membership."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)  # the membership's heartbeat is a timer: nothing to await


def membership_of(server: LiveServer) -> Membership:
    member = server.services.membership
    assert member is not None
    return member


async def test_a_node_cut_off_longer_than_its_lease_loses_its_case_and_writes_nothing_of_it(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    target = urlparse(redis_url)
    prefix = shared.prefix.strip("{}:")
    timing: dict[str, Any] = {"key_prefix": prefix, "feed_block_seconds": 0.2,
                              "redis_timeout_seconds": 0.5, "retry_seconds": 0.2,
                              "lease_seconds": LEASE, "heartbeat_seconds": HEARTBEAT}
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        cut_off = {**timing, "node_id": "node-a",
                   "redis_url": f"redis://127.0.0.1:{proxy.port}/{target.path.strip('/') or 0}"}
        direct = {**timing, "node_id": "node-b", "redis_url": redis_url}
        async with server_factory(cluster=cut_off) as node_a, \
                server_factory(cluster=direct) as node_b:
            a, b = membership_of(node_a), membership_of(node_b)
            lisa = await agent(node_a, "lisa", "Lisa")
            shopper = await customer(node_a)
            helped = await press_help(shopper)
            case_id, token = helped["case_id"], helped["case_token"]
            await lisa.accept_next_offer()
            ok(await shopper.call("chat_send", {"text": "före avbrottet"}))
            await until("B may adopt", lambda: b.steady)

            await proxy.cut()
            await until("B adopted A's case", lambda: b.cases_adopted == 1)
            assert case_id in node_b.services.engine.cases

            # A does not know yet: its next write of the case is fenced. The line is never
            # acknowledged ok: refused with case_moving, or the connection closes first (A lets
            # the case go and disconnects its customer); the widget keeps it and sends it again
            sending = asyncio.ensure_future(shopper.call("chat_send", {"text": "efter adoptionen"},
                                                         timeout=3.0))
            await asyncio.wait_for(shopper.disconnected.wait(), TIMEOUT)
            (answer,) = await asyncio.gather(sending, return_exceptions=True)
            if isinstance(answer, dict):
                assert refused(answer, "case_moving")["retry_after"] >= 1
            else:
                assert isinstance(answer, socketio.exceptions.SocketIOError), answer
            assert case_id not in node_a.services.engine.cases
            stored = await node_b.services.cases.history(case_id)
            assert stored is not None
            lines = [e for e in stored[1] if isinstance(e, ChatLineSent)]
            assert len(lines) == 1 and stored[0]["host_node"] == "node-b"  # the line before

            await proxy.restore()
            await until("A found its lease lost", lambda: a.leases_lost == 1)
            assert not a.steady and a.cases_adopted == 0  # a whole lease before adopting
            assert b.cases_let_go == 0 and b.leases_lost == 0

            # the customer carries on with the adopter, and so does Lisa
            back = await customer(node_b)
            resumed = ok(await back.call("resume", {"case_token": token}))
            assert resumed["case"]["state"] == "active"
            lisa_b = await agent_session(node_b, lisa.id, lisa.token)
            await lisa_b.client.wait_for("case_assigned", lambda v: v["case_id"] == case_id)
            ok(await back.call("chat_send", {"text": "hos B"}))
            for client in (shopper, back, lisa.client, lisa_b.client):
                await client.close()
