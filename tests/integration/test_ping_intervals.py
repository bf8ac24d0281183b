"""Each socket is pinged as often as its liveness matters (server/signalling/pings.py): an idle
kiosk every idle_ping_interval_seconds, the same kiosk every ping_interval_seconds from the moment
it presses Help until its case finishes, and an agent console always at the short interval.

A raw WebSocket client speaks Engine.IO v4 and Socket.IO v5 by hand, so the test sees the moment
each ping arrives. The intervals are shortened (1 s and 3 s) to keep the test quick; the
mechanism does not depend on their size.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from server.settings import load_settings
from tests.support.live import LiveServer

from .helpers import agent, context

SHORT, IDLE, TIMEOUT = 1, 3, 2.0
#: how late a ping may come on this shared machine (loop and scheduler jitter)
SLACK = 0.5
INTERVALS = {"network__ping_interval_seconds": SHORT, "network__idle_ping_interval_seconds": IDLE,
             "network__ping_timeout_seconds": TIMEOUT}


class RawSocket:
    """One Engine.IO websocket with one Socket.IO namespace; answers pings unless told not to."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, namespace: str, answer: bool) -> None:
        self.ws = ws
        self.namespace = namespace
        self.answer = answer
        self.pings: list[float] = []
        self.acks: dict[int, Any] = {}
        self.connected = False
        self.closed_at: float | None = None
        self._next_id = 0
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        prefix = f"4{{}}{self.namespace},"
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = message.data
            if data == "2":
                self.pings.append(time.monotonic())
                if self.answer:
                    await self.ws.send_str("3")
            elif data == "1":
                break
            elif data.startswith(prefix.format(0)):
                self.connected = True
            elif data.startswith(prefix.format(3)):
                rest = data[len(prefix.format(3)):]
                number, body = rest[:rest.index("[")], rest[rest.index("["):]
                self.acks[int(number)] = json.loads(body)[0]
            self._changed.set()
        self.closed_at = time.monotonic()
        self._changed.set()

    async def until(self, done: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"not within {timeout} s; pings at {self.pings}"
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def call(self, event: str, payload: Any) -> Any:
        self._next_id += 1
        number = self._next_id
        await self.ws.send_str(f"42{self.namespace},{number}{json.dumps([event, payload])}")
        await self.until(lambda: number in self.acks, 5)
        ack = self.acks[number]
        assert ack["ok"] is True, ack
        return ack

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def raw_socket(server: LiveServer, namespace: str, auth: dict[str, Any], *,
                     answer: bool = True) -> AsyncIterator[tuple[RawSocket, dict[str, Any], float]]:
    """A connected socket, its Engine.IO handshake and when the handshake arrived."""
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{server.url}/socket.io/?EIO=4&transport=websocket")
        first = await ws.receive(timeout=5)
        opened = time.monotonic()
        assert first.type is aiohttp.WSMsgType.TEXT and first.data.startswith("0"), first
        socket = RawSocket(ws, namespace, answer)
        try:
            await ws.send_str(f"40{namespace},{json.dumps(auth)}")
            await socket.until(lambda: socket.connected, 5)
            yield socket, json.loads(first.data[1:]), opened
        finally:
            await socket.close()


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 2) for a, b in zip(times, times[1:], strict=False)]


async def test_an_idle_kiosk_is_pinged_at_the_idle_interval_and_at_the_short_one_from_pressing_help(
    server_factory: Any,
) -> None:
    async with server_factory(**INTERVALS) as server:
        lisa = await agent(server, "lisa", "Lisa")  # someone online, so Help queues the case
        async with raw_socket(server, "/kiosk", {"kiosk_id": "kassa-7"}) as (kiosk, handshake, opened):
            await _idle_then_help(kiosk, handshake, opened)
        await lisa.client.close()


async def _idle_then_help(kiosk: RawSocket, handshake: dict[str, Any], opened: float) -> None:
    """The kiosk idles two long waits, presses Help mid-wait, then cancels."""
    # the handshake announces the longest wait, so the client never gives up early
    assert (handshake["pingInterval"], handshake["pingTimeout"]) == (IDLE * 1000, TIMEOUT * 1000)

    await kiosk.until(lambda: len(kiosk.pings) >= 2, 2 * IDLE + SLACK)
    idle = gaps([opened, *kiosk.pings[:2]])
    print(f"idle kiosk: pings {idle} s apart")
    assert all(IDLE - 0.1 <= gap <= IDLE + SLACK for gap in idle), idle

    await asyncio.sleep(SHORT * 1.5)  # well into the next long wait
    before = len(kiosk.pings)
    pressed = time.monotonic()
    ack = await kiosk.call("help_request", {"context": context(channel="kiosk")})
    await kiosk.until(lambda: len(kiosk.pings) > before, SHORT + SLACK)
    first = kiosk.pings[before] - pressed
    await kiosk.until(lambda: len(kiosk.pings) >= before + 4, 4 * SHORT + SLACK)
    active = gaps(kiosk.pings[before:before + 4])
    print(f"help pressed: first ping {first:.2f} s later, then {active} s apart")
    assert first <= SHORT + SLACK
    assert all(SHORT - 0.1 <= gap <= SHORT + SLACK for gap in active), active

    # the case finishes: after the ping already on its way, the socket is idle again
    assert ack["case"]["state"] in ("queued", "offered"), ack
    await kiosk.call("cancel", {})
    finished = len(kiosk.pings)
    await kiosk.until(lambda: len(kiosk.pings) >= finished + 2, SHORT + IDLE + 2 * SLACK)
    back = gaps(kiosk.pings[finished:finished + 2])
    print(f"case finished: pings {back} s apart again")
    assert all(IDLE - 0.1 <= gap <= IDLE + SLACK for gap in back), back


async def test_an_agent_console_is_pinged_at_the_short_interval_from_connecting(
    server_factory: Any,
) -> None:
    async with server_factory(**INTERVALS) as server:
        await server.create_agent("lisa", "Lisa")
        token = await server.login("lisa")
        async with raw_socket(server, "/agent", {"token": token}) as (console, _, opened):
            await console.until(lambda: len(console.pings) >= 3, 3 * SHORT + SLACK)
            seen = gaps([opened, *console.pings[:3]])
            print(f"agent console: pings {seen} s apart")
            assert all(gap <= SHORT + SLACK for gap in seen), seen
            assert all(gap >= SHORT - 0.1 for gap in seen[1:]), seen


async def test_a_silent_idle_kiosk_is_closed_within_the_idle_interval_and_the_timeout(
    server_factory: Any,
) -> None:
    async with server_factory(**INTERVALS, dispatch__tick_seconds=0.25) as server, \
            raw_socket(server, "/kiosk", {"kiosk_id": "kassa-8"}, answer=False) as (kiosk, _, opened):
        await kiosk.until(lambda: kiosk.closed_at is not None, IDLE + TIMEOUT + 0.25 + 2 * SLACK)
        assert kiosk.closed_at is not None
        took = kiosk.closed_at - opened
        print(f"a silent idle kiosk was closed {took:.2f} s after connecting")
        assert IDLE + TIMEOUT - 0.1 <= took


@pytest.mark.parametrize(("interval", "idle"), [(5, 5), (5, 25), (1, 1)])
def test_the_idle_ping_interval_may_equal_the_ping_interval_or_exceed_it(
    interval: int, idle: int,
) -> None:
    network = load_settings(network__ping_interval_seconds=interval,
                            network__idle_ping_interval_seconds=idle).network
    assert (network.ping_interval_seconds, network.idle_ping_interval_seconds) == (interval, idle)


def test_an_idle_ping_interval_shorter_than_the_ping_interval_is_refused() -> None:
    with pytest.raises(ValidationError, match="idle_ping_interval_seconds must be at least"):
        load_settings(network__ping_interval_seconds=5, network__idle_ping_interval_seconds=4)


def test_the_idle_ping_interval_is_whole_seconds_from_one() -> None:
    for refused in (0, 1.5):
        with pytest.raises(ValidationError, match="idle_ping_interval_seconds"):
            load_settings(network__ping_interval_seconds=1, network__idle_ping_interval_seconds=refused)
    settings = load_settings(network__ping_interval_seconds=1, network__idle_ping_interval_seconds=1)
    assert settings.network.idle_ping_interval_seconds == 1
