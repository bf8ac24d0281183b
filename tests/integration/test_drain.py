"""A node that drains (the first half of stopping a node of a cluster, server/runtime/drain.py).

In process, so each step can be watched: /healthz says draining, a new connection is refused
with 503 node_draining, the sockets no live case needs are told server_restarting (reason
draining) and closed, those of a live case stay, and the drain ends when the last case ends —
or at drain_seconds, returning the cases left for the other nodes' adoption. A Help press that
still reaches the node is refused with node_draining.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
import socketio

from tests.integration.helpers import active_case, agent, customer, ok, refused
from tests.support.live import live_server

DRAIN_RETRY_AFTER_MS = 250


async def test_a_draining_node_refuses_what_is_new_moves_idle_sockets_and_ends_with_its_cases(
        tmp_path: Path) -> None:
    async with live_server(tmp_path, cluster={"drain_seconds": 30,
                                              "drain_retry_after_ms": DRAIN_RETRY_AFTER_MS}) as server:
        lisa = await agent(server, "lisa", "Lisa", max_concurrent=1)
        omar = await agent(server, "omar", "Omar")  # available, but she takes the one case
        shopper, case_id, _ = await active_case(server, lisa)
        # omar may have been rung first and lost; what matters is that he has no case now
        browsing = await customer(server)  # a shop page showing the Help button, no case
        drain = server.services.drain
        assert drain.hosted_cases() == [case_id]

        draining = asyncio.create_task(drain.run())
        # the idle sockets are told why, then closed: they reconnect to another node
        for idle in (browsing, omar.client):
            await asyncio.wait_for(idle.disconnected.wait(), 5)
            assert idle.received["server_restarting"] == [
                {"reason": "draining", "retry_after_ms": DRAIN_RETRY_AFTER_MS}]
        # the live case keeps both its sockets
        assert not shopper.disconnected.is_set() and not lisa.client.disconnected.is_set()
        ok(await shopper.call("chat_send", {"text": "still here"}))

        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/healthz") as answer:
                assert answer.status == 503
                assert await answer.json() == {"status": "draining", "live_cases": 1}
            # a new Engine.IO session (no sid) is refused, for nginx to try the next node
            async with http.get(f"{server.url}/socket.io/?EIO=4&transport=polling") as answer:
                assert answer.status == 503
                body = await answer.json()
                assert body["error"]["code"] == "node_draining"
        late = socketio.AsyncClient(reconnection=False)
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await late.connect(server.url, namespaces=["/customer"],
                                   transports=["websocket"], wait_timeout=5)
        finally:
            if late.eio.http is not None:  # the refused client's own HTTP session
                await late.eio.http.close()
        assert not draining.done()

        # the case ends: the drain is over, nothing left to adopt, and lisa moves too
        ok(await lisa.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                          "resolved": True}))
        assert await asyncio.wait_for(draining, 5) == []
        await asyncio.wait_for(lisa.client.disconnected.wait(), 5)
        # the shopper stays for feedback on her finished case; a new Help press is refused
        refused(await shopper.call("help_request", {"context": {"store": "ica-maxi-lund"}}),
                "node_draining")
        ok(await shopper.call("feedback", {"rating": 5}))
        await shopper.close()


async def test_the_drain_waits_at_most_drain_seconds_and_returns_the_cases_left(
        tmp_path: Path) -> None:
    limit = 0.5
    async with live_server(tmp_path, cluster={"drain_seconds": limit}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        started = time.monotonic()
        left = await server.services.drain.run()
        took = time.monotonic() - started
        assert left == [case_id]  # for the adoption by another node
        assert limit <= took < limit + 1.0, took
        for client in (shopper, lisa.client):
            await client.close()


async def test_a_second_signal_cuts_the_drain_short(tmp_path: Path) -> None:
    async with live_server(tmp_path, cluster={"drain_seconds": 60}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        interrupted = asyncio.Event()
        draining = asyncio.create_task(server.services.drain.run(interrupted))
        await asyncio.sleep(0)  # let the drain start before the second signal
        interrupted.set()
        assert await asyncio.wait_for(draining, 5) == [case_id]
        for client in (shopper, lisa.client):
            await client.close()


async def test_agents_stay_while_a_case_waits_here_and_an_idle_kiosk_moves_at_once(
        tmp_path: Path) -> None:
    async with live_server(tmp_path, cluster={"drain_seconds": 30}) as server:
        # only agents connected to this node can be rung for a case waiting on it
        lisa = await agent(server, "lisa", "Lisa", available=False)
        waiting = await customer(server)
        case_id = ok(await waiting.call("help_request", {"context": {"store": "ica-maxi-lund"}}
                                        ))["case_id"]
        kiosk = await customer(server, "/kiosk", {"kiosk_id": "kassa-3"})
        draining = asyncio.create_task(server.services.drain.run())
        await asyncio.wait_for(kiosk.disconnected.wait(), 5)
        assert kiosk.received["server_restarting"][0]["reason"] == "draining"
        assert not lisa.client.disconnected.is_set() and not waiting.disconnected.is_set()

        # the waiting customer gives up: nothing waits here any more, so Lisa moves too
        ok(await waiting.call("cancel"))
        assert await asyncio.wait_for(draining, 5) == []
        await asyncio.wait_for(lisa.client.disconnected.wait(), 5)
        assert server.services.drain.hosted_cases() == []
        assert case_id not in {c.id for c in server.services.engine.live_cases()}
        await waiting.close()
