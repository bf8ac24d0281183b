"""Graceful shutdown: every client is told at once, and every case decision reaches the database."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from server.settings.network import NetworkSettings
from server.store import CaseRepository, Database

from .helpers import active_case, agent, chat_round_trip, customer, ok, press_help


async def test_shutdown_disconnects_every_client_promptly_and_writes_every_case(
    server_factory: Any,
) -> None:
    async with server_factory(storage__transcript_retention=True) as server:
        lisa = await agent(server, "lisa", "Lisa", max_concurrent=1)
        talking, active_id, _ = await active_case(server, lisa)
        await chat_round_trip(talking, lisa, active_id, "last words")
        waiting = await customer(server)
        waiting_id = (await press_help(waiting))["case_id"]
        leaving = await customer(server)
        leaving_id = (await press_help(leaving))["case_id"]
        # a decision taken just before the shutdown, not yet written when it starts
        ok(await leaving.call("cancel", {}))
        clients = [talking, waiting, leaving, lisa.client]
        url = server.settings.storage.resolved_database_url
        shutdown_timeout = 2.0  # what live_server gives the runner

        started = time.monotonic()
        await server.stop()
        elapsed = time.monotonic() - started
        # each client saw its connection end (not merely a timeout on our side)
        await asyncio.wait_for(asyncio.gather(*(c.disconnected.wait() for c in clients)), 1)
        assert not any(c.sio.connected for c in clients)
        # no waiting out aiohttp's shutdown timeout on open websockets
        assert elapsed < shutdown_timeout, f"shutdown took {elapsed:.2f} s"

    database = Database(url)
    await database.start()
    try:
        cases = CaseRepository(database)
        rows = {case_id: await cases.get(case_id) for case_id in (active_id, waiting_id, leaving_id)}
        assert {case_id: row and row["state"] for case_id, row in rows.items()} == {
            active_id: "active", waiting_id: "queued", leaving_id: "abandoned",
        }
        transcript = await cases.transcript(active_id)
        assert [line["text"] for line in transcript] == ["customer last words", "agent last words"]
    finally:
        await database.close()


async def test_shutdown_does_not_wait_forever_for_engine_io_to_say_goodbye(
    server_factory: Any,
) -> None:
    async with server_factory() as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper = await customer(server)
        await press_help(shopper)
        engineio = server.services.sio.eio
        sockets = list(engineio.sockets.values())
        assert len(sockets) == 1 + 1
        released = asyncio.Event()

        def goodbye_that_hangs(real_close: Any) -> Any:
            async def close(*args: Any, **kwargs: Any) -> None:
                if kwargs.get("reason") == engineio.reason.SERVER_DISCONNECT:
                    await released.wait()  # the server's goodbye to this socket never finishes
                else:
                    await real_close(*args, **kwargs)

            return close

        for socket in sockets:
            socket.close = goodbye_that_hangs(socket.close)
        started = time.monotonic()
        try:
            await server.stop()
        finally:
            released.set()
        elapsed = time.monotonic() - started
        assert elapsed < NetworkSettings().disconnect_seconds + 1.0, f"shutdown took {elapsed:.2f} s"
        # the websockets were closed all the same, so both clients know
        await asyncio.wait_for(asyncio.gather(shopper.disconnected.wait(),
                                              lisa.client.disconnected.wait()), 1)


async def test_shutdown_says_server_restarting_to_every_client_before_closing(
    server_factory: Any,
) -> None:
    async with server_factory(network__restart_retry_after_ms=1700) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper = await customer(server)
        await press_help(shopper)
        kiosk = await customer(server, "/kiosk", {"kiosk_id": "kassa-1"})
        await server.stop()
        for client in (lisa.client, shopper, kiosk):
            await asyncio.wait_for(client.disconnected.wait(), 1)
            assert client.received["server_restarting"] == [
                {"reason": "shutdown", "retry_after_ms": 1700}]


async def test_shutdown_waits_for_the_restart_notice_at_most_restart_notice_seconds(
    server_factory: Any,
) -> None:
    notice_seconds = 0.4
    async with server_factory(network__restart_notice_seconds=notice_seconds) as server:
        shopper = await customer(server)
        await press_help(shopper)
        released = asyncio.Event()
        (socket,) = list(server.services.sio.eio.sockets.values())

        async def never_written() -> None:
            await released.wait()  # the notice sits in the socket's queue

        socket.queue.join = never_written
        started = time.monotonic()
        try:
            await server.stop()
        finally:
            released.set()
        elapsed = time.monotonic() - started
        # at the limit it gives up waiting, and closes the socket all the same
        assert notice_seconds <= elapsed < notice_seconds + NetworkSettings().disconnect_seconds + 1.0
        await asyncio.wait_for(shopper.disconnected.wait(), 1)


async def test_shutdown_does_not_wait_for_a_restart_notice_that_was_written(
    server_factory: Any,
) -> None:
    notice_seconds = 5.0
    async with server_factory(network__restart_notice_seconds=notice_seconds) as server:
        shopper = await customer(server)
        await press_help(shopper)
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < notice_seconds
        assert shopper.received["server_restarting"]
