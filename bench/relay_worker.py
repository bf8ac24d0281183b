"""A load-generator process: holds some calls' peers and answers the controller's commands.

Commands arrive as dicts on a multiprocessing pipe (read through the event loop, no thread):
`setup {calls}`, `window_start`, `window_stop`, `collect`, `churn {count}`, `teardown`, `exit`.
A call's two peers live in this process, so send and receive times share one clock. The worker
measures its own CPU and event-loop lag, so a saturated load generator is reported as such.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bench.procstat import cpu_seconds
from bench.relay_clip import Clip
from bench.relay_peer import LoadPeer, Window
from bench.relay_signal import BaselineSide, HelpwireSide, JanusEcho

LAG_INTERVAL = 0.02


@dataclass
class WorkerSpec:
    worker: int
    target: str  #: "helpwire" | "mediarelay" | "janus"
    url: str
    clip_path: Path
    identify: str = "hash"
    #: the address the peers' host candidates use (the veth side towards Janus)
    address: str = "127.0.0.1"
    username: str = ""
    password: str = ""
    timeout: float = 20.0


@dataclass
class Call:
    peers: list[LoadPeer]
    close: Any = None  #: coroutine function that ends the call's signalling
    janus: list[JanusEcho] = field(default_factory=list)


class Worker:
    def __init__(self, conn: Connection, spec: WorkerSpec) -> None:
        self.conn = conn
        self.spec = spec
        self.clip = Clip.load(spec.clip_path)
        self.window = Window()
        self.calls: list[Call] = []
        self.numbered = 0
        self.helpwire: HelpwireSide | None = None
        self.baseline: BaselineSide | None = None
        self.http: aiohttp.ClientSession | None = None
        self.lags: list[float] = []
        self._cpu0 = self._t0 = 0.0
        self.cpu_percent = 0.0

    # --- calls -----------------------------------------------------------------------------
    def _peer(self, role: str) -> LoadPeer:
        self.numbered += 1
        return LoadPeer(f"w{self.spec.worker}-{role}{self.numbered}", self.clip, self.window,
                        self.spec.identify, self.spec.address)

    async def open_call(self) -> Call:
        timeout = self.spec.timeout
        if self.spec.target == "helpwire":
            assert self.helpwire is not None
            side = self.helpwire
            customer_socket, case_id = await side.open_case()
            customer, agent = self._peer("customer"), self._peer("agent")
            customer.source, agent.source = agent, customer
            call = Call([customer, agent], lambda: side.close_case(customer_socket, case_id))
            await asyncio.gather(
                customer.negotiate(lambda sdp: side.offer(customer_socket, sdp), timeout),
                agent.negotiate(lambda sdp: side.offer(side.agent, sdp, case_id), timeout))
            return call
        if self.spec.target == "mediarelay":
            assert self.baseline is not None
            baseline = self.baseline
            room = f"w{self.spec.worker}-{self.numbered}"
            a, b = self._peer("a"), self._peer("b")
            a.source, b.source = b, a
            call = Call([a, b], lambda: baseline.close_room(room))
            await asyncio.gather(a.negotiate(lambda sdp: baseline.offer(room, "a", sdp), timeout),
                                 b.negotiate(lambda sdp: baseline.offer(room, "b", sdp), timeout))
            return call
        assert self.http is not None
        # Janus echotest: a 1:1 call's load is two stream pairs, i.e. two echo peers
        peers = [self._peer("echo"), self._peer("echo")]
        echoes = [JanusEcho(self.http, self.spec.url) for _ in peers]
        call = Call(peers, None, echoes)
        await asyncio.gather(*(p.negotiate(e.offer, timeout) for p, e in zip(peers, echoes, strict=True)))
        return call

    async def close_call(self, call: Call) -> None:
        for peer in call.peers:
            await peer.close()
        if call.close is not None:
            await call.close()
        for echo in call.janus:
            await echo.close()

    # --- commands --------------------------------------------------------------------------
    async def setup(self, count: int) -> dict[str, Any]:
        errors: list[str] = []
        if self.helpwire is not None:
            await self.helpwire.available(True)
        for _ in range(count):
            try:
                call = await asyncio.wait_for(self.open_call(), self.spec.timeout * 2)
            except Exception as error:  # reported, and the step counts it as a failed set-up
                errors.append(f"{type(error).__name__}: {error}")
                continue
            self.calls.append(call)
        if self.helpwire is not None:
            await self.helpwire.available(False)
        peers = [p for c in self.calls for p in c.peers]
        return {"ice": [p.offer_to_ice for p in peers if p.offer_to_ice is not None],
                "connected": [p.offer_to_connected for p in peers if p.offer_to_connected is not None],
                "errors": errors}

    def window_start(self) -> None:
        for call in self.calls:
            for peer in call.peers:
                peer.reset()
        self.lags = []
        self._cpu0, self._t0 = cpu_seconds(os.getpid()), time.monotonic()
        self.window.start, self.window.end = time.perf_counter(), float("inf")

    def window_stop(self) -> None:
        self.window.end = time.perf_counter()
        seconds = time.monotonic() - self._t0
        self.cpu_percent = 100 * (cpu_seconds(os.getpid()) - self._cpu0) / seconds if seconds else 0.0

    def collect(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cpu": self.cpu_percent, "lags": self.lags}
        for kind in ("video", "audio"):
            peers = [p for c in self.calls for p in c.peers]
            out[kind] = {
                "sent": sum(p.source.tracks[kind].sent for p in peers),
                "delivered": sum(p.received[kind].delivered for p in peers),
                "unidentified": sum(p.received[kind].unidentified for p in peers),
                "delays": [d for p in peers for d in p.received[kind].delays_ms],
            }
        return out

    async def churn(self, count: int, parallel: int) -> dict[str, Any]:
        """Short calls, `parallel` at a time: set up, wait for media both ways, tear down."""
        times: list[float] = []
        errors: list[str] = []
        assert self.helpwire is not None
        await self.helpwire.available(True)
        shares = [count // parallel + (1 if i < count % parallel else 0) for i in range(parallel)]
        await asyncio.gather(*(self._churn(share, times, errors) for share in shares))
        await self.helpwire.available(False)
        return {"times": times, "errors": errors}

    async def _churn(self, count: int, times: list[float], errors: list[str]) -> None:
        for _ in range(count):
            started = time.perf_counter()
            try:
                call = await asyncio.wait_for(self.open_call(), self.spec.timeout * 2)
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            try:
                async with asyncio.timeout(self.spec.timeout):
                    for peer in call.peers:
                        await peer.received["video"].first.wait()
                times.append(time.perf_counter() - started)
            except TimeoutError:
                errors.append("no video within the timeout")
            finally:
                await self.close_call(call)

    async def teardown(self) -> None:
        calls, self.calls = self.calls, []
        for call in calls:
            try:
                await asyncio.wait_for(self.close_call(call), 10)
            except Exception:
                pass

    # --- the loop --------------------------------------------------------------------------
    async def _lag_monitor(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL)
            if self.window.start <= started < self.window.end:
                self.lags.append((time.perf_counter() - started - LAG_INTERVAL) * 1000)

    async def start(self) -> None:
        if self.spec.target == "helpwire":
            self.helpwire = HelpwireSide(self.spec.url, self.spec.username, self.spec.password)
            await self.helpwire.start()
        elif self.spec.target == "mediarelay":
            self.baseline = BaselineSide(self.spec.url)
        else:
            self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self.teardown()
        if self.helpwire is not None:
            await self.helpwire.close()
        if self.baseline is not None:
            await self.baseline.close()
        if self.http is not None:
            await self.http.close()

    async def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message["op"]
        if op == "setup":
            return await self.setup(int(message["calls"]))
        if op == "window_start":
            self.window_start()
        elif op == "window_stop":
            self.window_stop()
        elif op == "collect":
            return self.collect()
        elif op == "churn":
            return await self.churn(int(message["count"]), int(message.get("parallel", 1)))
        elif op == "teardown":
            await self.teardown()
        return {}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def readable() -> None:
            try:
                inbox.put_nowait(self.conn.recv())
            except EOFError:  # the controller is gone
                loop.remove_reader(self.conn.fileno())
                inbox.put_nowait(None)

        lag = asyncio.create_task(self._lag_monitor())
        try:
            await self.start()
            self.conn.send({"op": "ready"})
            loop.add_reader(self.conn.fileno(), readable)
            while True:
                message = await inbox.get()
                if message is None or message["op"] == "exit":
                    break
                try:
                    reply = await self.handle(message)
                except Exception as error:
                    reply = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
                self.conn.send({"op": message["op"], **reply})
        finally:
            lag.cancel()
            await self.stop()


def main(conn: Connection, spec: WorkerSpec) -> None:
    try:
        asyncio.run(Worker(conn, spec).run())
    except KeyboardInterrupt:
        pass
    except Exception as error:
        try:
            conn.send({"op": "failed", "error": f"{type(error).__name__}: {error}"})
        except OSError:
            pass


def summarise_lags(lags: list[float]) -> float:
    """p99 of the event-loop lag samples, in ms."""
    if len(lags) < 2:
        return lags[0] if lags else 0.0
    return statistics.quantiles(lags, n=100, method="inclusive")[98]

