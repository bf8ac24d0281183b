"""The Engine.IO heartbeat settings: handed to every client in the handshake, and enforced by
the heartbeat monitor (server/signalling/heartbeat.py).

A raw WebSocket client speaks Engine.IO v4 by hand here, so the test decides exactly when (or
whether) each pong is sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from server.settings import load_settings
from server.settings.network import NetworkSettings
from server.signalling.heartbeat import HeartbeatMonitor, overdue


async def _open(http: aiohttp.ClientSession, url: str) -> tuple[aiohttp.ClientWebSocketResponse, Any]:
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", autoping=True)
    first = await ws.receive(timeout=5)
    assert first.type is aiohttp.WSMsgType.TEXT and first.data.startswith("0"), first
    return ws, json.loads(first.data[1:])


async def _answer_pings(ws: aiohttp.ClientWebSocketResponse, delay: float | None,
                        until: float) -> bool:
    """Answer every ping after `delay` seconds (None: never). True if still open at `until`."""
    while (remaining := until - time.monotonic()) > 0:
        try:
            message = await ws.receive(timeout=remaining)
        except TimeoutError:
            break
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.CLOSING):
            return False
        if message.type is aiohttp.WSMsgType.TEXT and message.data == "1":
            return False  # Engine.IO close packet
        if message.type is aiohttp.WSMsgType.TEXT and message.data == "2" and delay is not None:
            await asyncio.sleep(delay)
            await ws.send_str("3")
    return not ws.closed


async def test_the_handshake_hands_clients_the_default_idle_ping_interval_and_timeout(
    server_factory: Any,
) -> None:
    # the longest interval a socket may wait for a ping; sockets with an open case and agent
    # consoles are pinged every ping_interval_seconds (tests/integration/test_ping_intervals.py)
    defaults = NetworkSettings()
    async with server_factory() as server, aiohttp.ClientSession() as http:
        ws, handshake = await _open(http, server.url)
        await ws.close()
    assert handshake["pingInterval"] == int(defaults.idle_ping_interval_seconds * 1000)
    assert handshake["pingInterval"] == 25000
    assert handshake["pingTimeout"] == int(defaults.ping_timeout_seconds * 1000) == 3000


async def test_a_client_whose_pong_comes_within_the_timeout_stays_and_one_past_it_is_closed(
    server_factory: Any,
) -> None:
    interval, timeout = 1, 0.8
    async with server_factory(network__ping_interval_seconds=interval,
                              network__idle_ping_interval_seconds=interval,
                              network__ping_timeout_seconds=timeout) as server, \
            aiohttp.ClientSession() as http:
        (prompt, _), (late, _), (silent, handshake) = [await _open(http, server.url) for _ in range(3)]
        assert (handshake["pingInterval"], handshake["pingTimeout"]) == (1000, 800)
        until = time.monotonic() + interval + 4 * timeout + 1.0  # a few ping rounds
        results = await asyncio.gather(
            _answer_pings(prompt, timeout / 2, until),  # within the timeout
            _answer_pings(late, timeout + 0.3, until),  # past it (checked every tick, 0.05 s)
            _answer_pings(silent, None, until),  # a frozen client
        )
        for ws in (prompt, late, silent):
            await ws.close()
    assert list(results) == [True, False, False]


@pytest.mark.parametrize("key", ["network__ping_timeout_seconds", "media__inactivity_seconds"])
def test_liveness_timeouts_must_be_positive(key: str) -> None:
    section, name = key.split("__")
    with pytest.raises(ValidationError, match=name):
        load_settings(None, **{key: 0})
    assert getattr(getattr(load_settings(None, **{key: 0.1}), section), name) == 0.1


def test_the_ping_interval_is_whole_seconds_from_one() -> None:
    # python-engineio announces int(interval) * 1000 ms: 1.5 s would be announced as 1 s, and the
    # clients would give up on a server that pings on time
    for refused in (0, 1.5):
        with pytest.raises(ValidationError, match="ping_interval_seconds"):
            load_settings(network__ping_interval_seconds=refused)
    assert load_settings(network__ping_interval_seconds=1).network.ping_interval_seconds == 1


class FakeSocket:
    """The attributes, the queue and the one method of an Engine.IO socket the monitor uses."""

    def __init__(self, last_ping: float | None, closing: bool = False, closed: bool = False) -> None:
        self.last_ping, self.closing, self.closed = last_ping, closing, closed
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def check_ping_timeout(self) -> bool:
        self.closed = True
        return False


@dataclass
class FakeEngine:
    sockets: dict[str, FakeSocket]
    ping_timeout: float = 3.0


def test_a_socket_is_overdue_only_once_its_pong_is_later_than_the_timeout() -> None:
    sockets = {
        "answered": FakeSocket(None),  # pong received, next ping not sent yet
        "at_the_limit": FakeSocket(100.0),
        "past_it": FakeSocket(99.9),
        "closing": FakeSocket(90.0, closing=True),
        "closed": FakeSocket(90.0, closed=True),
    }
    assert overdue(sockets.values(), now=103.0, timeout=3.0) == [sockets["past_it"]]


async def test_a_sweep_closes_overdue_sockets_and_forgets_closed_ones() -> None:
    now = time.time()
    engine = FakeEngine({"silent": FakeSocket(now - 3.5), "fine": FakeSocket(now - 1.0),
                         "gone": FakeSocket(None, closed=True)})
    silent = engine.sockets["silent"]

    assert await HeartbeatMonitor(engine, 0.25).sweep() == 1

    assert silent.closed and not engine.sockets["fine"].closed
    assert set(engine.sockets) == {"silent", "fine"}  # "silent" goes at the next sweep
    # its transport is let go of at once: the writer's end (no CLOSE: the client reconnects)
    assert silent.queue.get_nowait() is None and silent.queue.empty()
    assert engine.sockets["fine"].queue.empty()


async def test_a_sweep_after_a_loop_stall_does_not_count_the_stall_against_clients() -> None:
    engine = FakeEngine({"answered_during_the_stall": FakeSocket(time.time() - 3.5)})

    # the loop stalled for a second: the pong may be waiting in the kernel
    assert await HeartbeatMonitor(engine, 0.25).sweep(lateness=1.0) == 0
    assert await HeartbeatMonitor(engine, 0.25).sweep(lateness=0.4) == 1
