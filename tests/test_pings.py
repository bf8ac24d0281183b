"""Which interval each socket is pinged at, and how a long wait is cut short when a case opens
(server/signalling/pings.py), on real python-engineio sockets of a server that is not listening.

The intervals are tenths of a second here so the waits are real but short.
"""

from __future__ import annotations

import asyncio
from typing import Any

import engineio
import pytest
from engineio import packet
from engineio.async_socket import AsyncSocket

from server.signalling.pings import PingSchedule

SHORT, IDLE = 0.1, 0.6
#: how late a ping may be on the shared test machine
SLACK = 0.15


def engine() -> Any:
    return engineio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=1,
                                monitor_clients=False)


def socket_on(server: Any, sid: str = "eio-1") -> AsyncSocket:
    socket = AsyncSocket(server, sid)
    server.sockets[sid] = socket
    return socket


async def next_ping(socket: AsyncSocket, timeout: float) -> float:
    """Loop time when the next PING reaches the socket's queue."""
    while True:
        sent = await asyncio.wait_for(socket.queue.get(), timeout)
        if sent.packet_type == packet.PING:
            return asyncio.get_running_loop().time()


def test_an_idle_socket_waits_the_idle_interval_and_a_watched_one_the_short_one() -> None:
    pings = PingSchedule(engine(), SHORT, IDLE)
    assert pings.interval_of("eio-1") == IDLE
    pings.watch("eio-1", ("/kiosk", "sio-1"), lambda: True)
    assert pings.interval_of("eio-1") == SHORT
    assert pings.interval_of("eio-2") == IDLE  # only that socket


def test_a_socket_is_idle_again_once_every_reason_is_released_or_has_lapsed() -> None:
    pings = PingSchedule(engine(), SHORT, IDLE)
    case_open = True
    pings.watch("eio-1", ("/kiosk", "sio-1"), lambda: case_open)
    pings.watch("eio-1", ("/agent", "sio-2"), lambda: True)
    pings.release(("/agent", "sio-2"))
    assert pings.interval_of("eio-1") == SHORT  # the case is still open
    case_open = False  # the case finished: nobody has to call anything
    assert pings.interval_of("eio-1") == IDLE
    case_open = True
    assert pings.interval_of("eio-1") == IDLE  # a lapsed reason is forgotten, not revived
    pings.release(("/kiosk", "sio-1"))  # releasing twice is harmless


def test_the_idle_interval_cannot_be_shorter_than_the_ping_interval() -> None:
    with pytest.raises(ValueError, match="cannot be shorter"):
        PingSchedule(engine(), 5, 4)
    assert PingSchedule(engine(), 5, 5).idle_interval == 5


async def test_engineio_pings_an_idle_socket_after_the_idle_interval() -> None:
    server = engine()
    pings = PingSchedule(server, SHORT, IDLE)
    socket = socket_on(server)
    loop = asyncio.get_running_loop()
    scheduled = loop.time()
    socket.schedule_ping()  # what Engine.IO does after the handshake and after each pong
    assert pings.pending == 1
    waited = await next_ping(socket, IDLE + SLACK) - scheduled
    assert IDLE - 0.01 <= waited <= IDLE + SLACK
    assert socket.last_ping  # the heartbeat monitor's clock was started


async def test_watching_a_socket_mid_wait_brings_its_ping_to_one_short_interval_after_its_pong(
) -> None:
    server = engine()
    pings = PingSchedule(server, SHORT, IDLE)
    socket = socket_on(server)
    loop = asyncio.get_running_loop()
    scheduled = loop.time()
    socket.schedule_ping()
    await asyncio.sleep(SHORT / 4)
    pings.watch(socket.sid, ("/kiosk", "sio-1"), lambda: True)  # Help pressed
    waited = await next_ping(socket, SHORT + SLACK) - scheduled
    assert SHORT - 0.01 <= waited <= SHORT + SLACK


async def test_watching_a_socket_past_one_short_interval_pings_it_at_once() -> None:
    server = engine()
    pings = PingSchedule(server, SHORT, IDLE)
    socket = socket_on(server)
    loop = asyncio.get_running_loop()
    socket.schedule_ping()
    await asyncio.sleep(SHORT * 2)
    pressed = loop.time()
    pings.watch(socket.sid, ("/kiosk", "sio-1"), lambda: True)
    assert await next_ping(socket, SLACK) - pressed <= SLACK
    assert pings.pending == 0  # the ping is out; the pong schedules the next one


async def test_the_pong_after_a_finished_case_starts_a_long_wait_again() -> None:
    server = engine()
    pings = PingSchedule(server, SHORT, IDLE)
    socket = socket_on(server)
    loop = asyncio.get_running_loop()
    case_open = True
    pings.watch(socket.sid, ("/kiosk", "sio-1"), lambda: case_open)
    socket.schedule_ping()
    await next_ping(socket, SHORT + SLACK)
    case_open = False
    answered = loop.time()
    await socket.receive(packet.Packet(packet.PONG))  # the client's pong: the next wait begins
    waited = await next_ping(socket, IDLE + SLACK) - answered
    assert IDLE - 0.01 <= waited <= IDLE + SLACK


async def test_a_watched_socket_already_on_the_short_interval_keeps_its_wait() -> None:
    server = engine()
    pings = PingSchedule(server, SHORT, IDLE)
    socket = socket_on(server)
    loop = asyncio.get_running_loop()
    pings.watch(socket.sid, ("/agent", "sio-1"), lambda: True)
    scheduled = loop.time()
    socket.schedule_ping()
    await asyncio.sleep(SHORT / 2)
    pings.watch(socket.sid, ("/kiosk", "sio-2"), lambda: True)  # a second reason: nothing moves
    waited = await next_ping(socket, SHORT + SLACK) - scheduled
    assert SHORT - 0.01 <= waited <= SHORT + SLACK


async def test_other_background_tasks_of_the_server_are_started_as_before() -> None:
    server = engine()
    PingSchedule(server, SHORT, IDLE)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    server.start_background_task(job)
    await asyncio.wait_for(ran.wait(), 1)
