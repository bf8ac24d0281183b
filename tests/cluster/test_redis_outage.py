"""A server whose Redis goes away (a TCP proxy in front of it, cut by the test): it goes on
serving the cases it hosts; once more than ``[cluster] max_journal`` dispatch commands wait, it
refuses new Help presses with ``cluster_unavailable`` and /healthz says so; when Redis answers
again it writes its view back and takes new cases again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlparse

import aiohttp
import pytest

from server.cluster.redis_dispatch import RedisDispatchState
from tests.integration.helpers import agent, chat_round_trip, customer, press_help, refused
from tests.integration.helpers import context as help_context
from tests.support.live import LiveServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.redis


async def health(server: LiveServer) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        return response.status, await response.json()


async def test_a_node_cut_from_redis_serves_its_cases_refuses_new_ones_when_full_and_recovers(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    redis_url: str,
    shared: RedisDispatchState,
) -> None:
    target = urlparse(redis_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        cluster = {"redis_url": f"redis://127.0.0.1:{proxy.port}/{target.path.strip('/') or 0}",
                   "key_prefix": shared.prefix.strip("{}:"), "max_journal": 2,
                   "redis_timeout_seconds": 1.0, "retry_seconds": 0.2,
                   "feed_block_seconds": 0.2}
        async with server_factory(cluster=cluster) as server:
            node = server.services.shared_dispatch
            assert node is not None
            lisa = await agent(server, "lisa", "Lisa")
            first = await customer(server)
            first_case = (await press_help(first))["case_id"]
            await lisa.accept_next_offer()

            await proxy.cut()
            await chat_round_trip(first, lisa, first_case, "utan redis")
            second = await customer(server)
            second_case = (await press_help(second))["case_id"]  # enqueue + offer: the limit
            await lisa.client.wait_for("offer", lambda o: o["case_id"] == second_case)
            assert (node.pending, node.refusal()) == (2, None)
            assert await health(server) == (200, {"status": "ok"})
            third = await customer(server)
            third_case = (await press_help(third))["case_id"]  # one past: the view is the record
            assert node.refusal() == "cluster_unavailable"
            fourth = await customer(server)
            body = refused(await fourth.call("help_request", {"context": help_context()}),
                           "cluster_unavailable")
            assert body["event"] == "help_request"
            status, report = await health(server)
            assert status == 503 and "cluster_unavailable" in report["reasons"]  # type: ignore[operator]
            await chat_round_trip(first, lisa, first_case, "fortfarande")  # its cases go on

            await proxy.restore()
            await asyncio.wait_for(node.whole.wait(), 10)
            assert await health(server) == (200, {"status": "ok"})
            fourth_case = (await press_help(fourth))["case_id"]
            await server.flush()
            waiting = [e.case_id for q in await shared.queue_names()
                       for e in await shared.waiting(q)]
            assert set(waiting) == {second_case, third_case, fourth_case}
            ringing = await shared.offer_for_agent(lisa.id)
            assert ringing is not None and ringing.case_id == second_case
            status_in_redis = await shared.agent(lisa.id)
            assert status_in_redis is not None and status_in_redis.cases == frozenset({first_case})
            for client in (first, second, third, fourth, lisa.client):
                await client.close()
