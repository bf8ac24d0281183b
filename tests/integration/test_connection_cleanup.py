"""A closed connection leaves nothing behind: no per-connection state, no garbage for the collector.

Under connection churn anything a closed connection leaves adds up (docs/performance.md,
"Connection churn"): state in the namespaces' and the client manager's dicts grows without bound,
and reference cycles stay in memory while the periodic heap freeze hides them from the collector.
"""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web
from engineio.async_socket import AsyncSocket

from tests.integration.helpers import AGENT_NS, context, ok
from tests.support.live import LiveServer, connect

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]
KIOSK_NS = "/kiosk"


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Let the server finish its part of a disconnect (Engine.IO forgets a socket a few steps after
    the namespace's disconnect handler ran; nothing signals that moment)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still there after {timeout} s: {what}")
        await asyncio.sleep(0.01)


def observe_disconnects(namespace: Any) -> asyncio.Queue[str]:
    """Each sid whose disconnect handler has finished, in order."""
    done: asyncio.Queue[str] = asyncio.Queue()
    handler: Callable[..., Awaitable[None]] = namespace.on_disconnect

    async def on_disconnect(sid: str, reason: Any = None) -> None:
        await handler(sid, reason)
        done.put_nowait(sid)

    namespace.on_disconnect = on_disconnect
    return done


def per_connection_state(server: LiveServer) -> dict[str, int]:
    sio = server.services.sio
    kiosk, agent = sio.namespace_handlers[KIOSK_NS], sio.namespace_handlers[AGENT_NS]
    manager = sio.manager
    return {
        "engine.io sockets": len(sio.eio.sockets),
        "socket.io environ": len(sio.environ),
        "kiosk ids": len(kiosk._kiosks),
        "kiosk cases": len(kiosk._case_of),
        "kiosk case sockets": len(kiosk._sockets),
        "agent profiles": len(agent._agent_of),
        "agent sockets": len(agent._sockets),
        "manager rooms (kiosk)": sum(len(members) for members in manager.rooms.get(KIOSK_NS, {}).values()),
        "manager rooms (agent)": sum(len(members) for members in manager.rooms.get(AGENT_NS, {}).values()),
        "manager index": sum(len(sockets) for sockets in manager.rooms_of.values()),
        "pending pings": sum(1 for task in asyncio.all_tasks()
                             if getattr(task.get_coro(), "__qualname__", "") == "PingSchedule._ping"),
        "pings scheduled": server.services.pings.pending,
        "sockets pinged often": server.services.pings.watched,
    }


async def test_a_disconnected_kiosk_and_agent_leave_no_per_connection_state(server_factory: Factory) -> None:
    async with server_factory() as server:
        before = per_connection_state(server)
        sio = server.services.sio
        kiosks_gone = observe_disconnects(sio.namespace_handlers[KIOSK_NS])
        agents_gone = observe_disconnects(sio.namespace_handlers[AGENT_NS])
        await server.create_agent("anna", "Anna")
        agent = await connect(server.url, AGENT_NS, {"token": await server.login("anna")})
        ok(await agent.call("agent_hello"))
        kiosks = [await connect(server.url, KIOSK_NS, {"kiosk_id": f"kassa-{n}"}) for n in range(3)]
        ok(await kiosks[0].call("help_request", {"context": context()}))  # one with a case
        during = per_connection_state(server)
        assert during["kiosk ids"] == 3 and during["kiosk cases"] == 1 and during["agent profiles"] == 1
        assert during["engine.io sockets"] == 4 and during["manager index"] >= 4
        # the agent and the kiosk with a case are pinged often; every socket has a ping pending
        assert during["sockets pinged often"] == 2
        assert during["pings scheduled"] == during["pending pings"] == 4

        for client in [*kiosks, agent]:
            await client.close()
        for _ in kiosks:
            await asyncio.wait_for(kiosks_gone.get(), 5)
        await asyncio.wait_for(agents_gone.get(), 5)
        await until(lambda: per_connection_state(server) == before, "per-connection state")
        assert per_connection_state(server) == before
        assert all(count == 0 for count in before.values()), before


def server_side_garbage() -> list[str]:
    """What a full collection finds unreachable among a server connection's own objects."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
    finally:
        gc.set_debug(0)
    found = [o for o in gc.garbage
             if isinstance(o, web.WebSocketResponse | web.Request | AsyncSocket)
             or (isinstance(o, types.FrameType) and "engineio/async_socket" in o.f_code.co_filename)]
    names = sorted({type(o).__qualname__ if not isinstance(o, types.FrameType) else o.f_code.co_qualname
                    for o in found})
    gc.garbage.clear()
    gc.collect()
    return names


async def test_a_closed_kiosk_connection_is_freed_by_reference_counting_alone(
    server_factory: Factory,
) -> None:
    # no freezing here, so that a full collection sees everything a closed connection left
    async with server_factory(runtime__gc_freeze_on_start=False,
                              runtime__gc_freeze_interval_seconds=0) as server:
        before = per_connection_state(server)
        kiosks_gone = observe_disconnects(server.services.sio.namespace_handlers[KIOSK_NS])
        warm = await connect(server.url, KIOSK_NS, {"kiosk_id": "kassa-warm"})
        await warm.close()
        await asyncio.wait_for(kiosks_gone.get(), 5)
        await until(lambda: per_connection_state(server) == before, "per-connection state")
        server_side_garbage()  # start-up's and the warm-up's

        kiosks = [await connect(server.url, KIOSK_NS, {"kiosk_id": f"kassa-{n}"}) for n in range(5)]
        for kiosk in kiosks:
            await kiosk.close()
        for _ in kiosks:
            await asyncio.wait_for(kiosks_gone.get(), 5)
        await until(lambda: per_connection_state(server) == before, "per-connection state")
        assert server_side_garbage() == []
