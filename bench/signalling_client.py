"""A minimal Socket.IO v5 / Engine.IO v4 websocket client, and the load worker process built on it.

Far lighter than python-socketio's AsyncClient: one aiohttp websocket and one reader task per
connection, text framing only (`0` open, `2`/`3` ping/pong, `40` connect, `42` event, `43` ack,
`44` connect error). Each worker process holds a share of the idle kiosks and of the chatting
pairs, and measures delivery at the receiver with its own clock (both ends of a pair live in the
same worker). Workers report their own CPU and loop lag so the orchestrator can tell when the
load generator, not the server, is the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

EventHandler = Callable[[str, Any], None]


class ConnectRefused(Exception):
    pass


class SioSocket:
    """One websocket connection bound to one namespace."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, namespace: str) -> None:
        self.ws = ws
        self.namespace = namespace
        self._prefix = f"{namespace}," if namespace != "/" else ""
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self.on_event: EventHandler | None = None
        self.connected: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, url: str, namespace: str, auth: Any = None,
                   on_event: EventHandler | None = None, wait_seconds: float = 30.0) -> SioSocket:
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket",
                                   autoping=True, max_msg_size=0, compress=0)
        sock = cls(ws, namespace)
        sock.on_event = on_event
        sock.reader = asyncio.get_running_loop().create_task(sock._read())
        payload = json.dumps(auth, separators=(",", ":")) if auth is not None else ""
        await ws.send_str(f"40{sock._prefix}{payload}")
        try:
            await asyncio.wait_for(asyncio.shield(sock.connected), wait_seconds)
        except BaseException:
            await sock.close()
            raise
        return sock

    async def _read(self) -> None:
        ws = self.ws
        try:
            while True:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                    aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                        break
                    continue
                data: str = msg.data
                head = data[:1]
                if head == "2":
                    await ws.send_str("3")
                elif head == "4":
                    self._packet(data)
        except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if not self.connected.done():
                self.connected.set_exception(ConnectionError("closed before the namespace connected"))
            for future in self._acks.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._acks.clear()

    def _packet(self, data: str) -> None:
        kind = data[1:2]
        rest = data[2:]
        if rest.startswith("/"):
            comma = rest.find(",")
            rest = rest[comma + 1:] if comma >= 0 else ""
        if kind == "2":
            if self.on_event is not None:
                event = json.loads(rest)
                self.on_event(event[0], event[1] if len(event) > 1 else None)
        elif kind == "3":
            bracket = rest.find("[")
            ack_id = int(rest[:bracket])
            future = self._acks.pop(ack_id, None)
            if future is not None and not future.done():
                args = json.loads(rest[bracket:])
                future.set_result(args[0] if args else None)
        elif kind == "0":
            if not self.connected.done():
                self.connected.set_result(json.loads(rest) if rest else None)
        elif kind == "4":
            if not self.connected.done():
                self.connected.set_exception(ConnectRefused(rest))

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send_str(f"42{self._prefix}{json.dumps([event, data], separators=(',', ':'))}")

    async def emit_with_ack(self, event: str, data: Any) -> asyncio.Future[Any]:
        """Send now; the returned future gets the acknowledgement."""
        self._next_id += 1
        ack_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        body = json.dumps([event, data], separators=(",", ":"))
        await self.ws.send_str(f"42{self._prefix}{ack_id}{body}")
        return future

    async def call(self, event: str, data: Any, wait_seconds: float = 10.0) -> Any:
        return await asyncio.wait_for(await self.emit_with_ack(event, data), wait_seconds)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


# ---------------------------------------------------------------------- the worker process


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Pair:
    customer: SioSocket
    agent: SioSocket
    case_id: str


@dataclass
class LagProbe:
    """This worker's own event-loop lag (the same method as the server's monitor)."""

    interval: float = 0.01
    samples: list[float] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - due))

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        return samples


PAD = "x" * 100


class Worker:
    def __init__(self, index: int, url: str, kind: str) -> None:
        self.index = index
        self.url = url
        self.kind = kind  # "helpwire", "python-socketio" or "node"
        self.http: aiohttp.ClientSession | None = None
        self.kiosks: list[SioSocket] = []
        self.pairs: list[Pair] = []
        self.received: dict[int, float] = {}
        #: set when `expected` messages have been received (the end of a chat step)
        self.expected = -1
        self.all_received = asyncio.Event()
        self.lag = LagProbe()
        self._offers: asyncio.Queue[str] = asyncio.Queue()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self.http = aiohttp.ClientSession(connector=connector)
        self.lag.start()

    async def stop(self) -> None:
        sockets = self.kiosks + [s for p in self.pairs for s in (p.customer, p.agent)]
        for chunk in range(0, len(sockets), 500):
            await asyncio.gather(*(s.close() for s in sockets[chunk:chunk + 500]))
        if self.http is not None:
            await self.http.close()

    # ------------------------------------------------------------------ idle kiosks

    async def connect_idle(self, first: int, count: int, concurrency: int = 64) -> dict[str, Any]:
        assert self.http is not None
        started = time.perf_counter()
        failed = 0
        gate = asyncio.Semaphore(concurrency)

        async def one(number: int) -> None:
            nonlocal failed
            async with gate:
                try:
                    sock = await SioSocket.open(self.http, self.url, "/kiosk",  # type: ignore[arg-type]
                                                {"kiosk_id": f"bench-kiosk-{number}"})
                except Exception:
                    failed += 1
                    return
                self.kiosks.append(sock)

        await asyncio.gather(*(one(n) for n in range(first, first + count)))
        return {"connected": count - failed, "failed": failed,
                "seconds": time.perf_counter() - started}

    async def close_idle(self, count: int) -> dict[str, Any]:
        """Disconnect the `count` most recently connected idle kiosks (connection churn)."""
        closing, self.kiosks = self.kiosks[len(self.kiosks) - count:], self.kiosks[:len(self.kiosks) - count]
        for chunk in range(0, len(closing), 500):
            await asyncio.gather(*(s.close() for s in closing[chunk:chunk + 500]))
        return {"closed": len(closing)}

    async def churn(self, first: int, cycles: int, rate: float, hold: float, pool: int,
                    in_flight: int = 2000) -> dict[str, Any]:
        """`cycles` kiosk connections started at `rate` per second, each kept `hold` s, then closed.

        A steady stream, as kiosks that reconnect on their own (the thundering herd of all of
        them dropping at once is bench/signalling.py's disconnect storm). Kiosk ids repeat over a
        pool of `pool`, as the same kiosks coming back.
        """
        assert self.http is not None
        http = self.http
        started = time.perf_counter()
        failed = 0
        late = 0.0
        connect_times: list[float] = []
        gate = asyncio.Semaphore(in_flight)

        async def one(number: int) -> None:
            nonlocal failed
            try:
                began = time.perf_counter()
                try:
                    sock = await SioSocket.open(http, self.url, "/kiosk",
                                                {"kiosk_id": f"churn-kiosk-{number % pool}"})
                except Exception:
                    failed += 1
                    return
                connect_times.append(time.perf_counter() - began)
                await asyncio.sleep(hold)
                await sock.close()
            finally:
                gate.release()

        tasks = []
        period = 1.0 / rate
        for n in range(cycles):
            due = started + n * period
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late = max(late, -delay)
            await gate.acquire()
            tasks.append(asyncio.get_running_loop().create_task(one(first + n)))
        await asyncio.gather(*tasks)
        connect_times.sort()
        return {"cycles": cycles, "failed": failed, "seconds": time.perf_counter() - started,
                "late_max_s": late,
                "connect_p99_ms": 1000 * connect_times[int(0.99 * (len(connect_times) - 1))]
                if connect_times else float("nan")}

    # ------------------------------------------------------------------ pairs

    def _on_message(self, event: str, data: Any) -> None:
        if event == "chat_message":
            now = time.perf_counter()
            text = data["text"]
            space = text.find(" ")
            self.received[int(text[:space])] = now
            if len(self.received) == self.expected:
                self.all_received.set()

    async def add_pair(self, number: int) -> dict[str, Any]:
        assert self.http is not None
        if self.kind == "helpwire":
            async with self.http.post(f"{self.url}/api/agent/login", json={
                    "username": f"bench-agent-{number}", "password": "bench-password"}) as response:
                token = (await response.json())["token"]
        else:
            token = f"bench-agent-{number}"
        offers: asyncio.Queue[str] = asyncio.Queue()

        def agent_event(event: str, data: Any) -> None:
            if event == "offer":
                offers.put_nowait(data["case_id"])
            else:
                self._on_message(event, data)

        agent = await SioSocket.open(self.http, self.url, "/agent", {"token": token}, agent_event)
        _ok(await agent.call("agent_hello", {}))
        customer = await SioSocket.open(self.http, self.url, "/customer", None, self._on_message)
        ack = _ok(await customer.call("help_request", {"context": {"store": "bench-store",
                                                                    "language": "en"}}))
        _ok(await agent.call("presence_set", {"presence": "available"}))
        case_id = await asyncio.wait_for(offers.get(), 10)
        if case_id != ack["case_id"]:
            raise RuntimeError(f"agent {number} was offered another case")
        _ok(await agent.call("offer_accept", {"case_id": case_id}))
        self.pairs.append(Pair(customer, agent, case_id))
        return {"case_id": case_id}

    # ------------------------------------------------------------------ help presses

    async def help_presses(self, count: int, rate: float) -> dict[str, Any]:
        """Kiosks press Help (the ack carries their queue position) and cancel again."""
        latencies: list[float] = []
        errors = 0
        period = 1.0 / rate
        next_at = time.perf_counter()
        for number in range(count):
            kiosk = self.kiosks[number % len(self.kiosks)]
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += period
            started = time.perf_counter()
            try:
                ack = await kiosk.call("help_request", {"context": {"store": "bench-store",
                                                                     "language": "en"}})
                latencies.append(time.perf_counter() - started)
                if not (ack.get("ok") and isinstance(ack["case"]["position"], int)):
                    errors += 1
                _ok(await kiosk.call("cancel", {}))
            except Exception:
                errors += 1
        return {"latencies": latencies, "errors": errors}

    # ------------------------------------------------------------------ chat

    async def chat(self, rate: float, seconds: float, first_seq: int, drain: float) -> dict[str, Any]:
        """Send `rate` msg/s (alternating directions over the pairs) for `seconds`."""
        self.received = {}
        self.expected = -1
        self.all_received.clear()
        sent: dict[int, float] = {}
        acks_failed = 0
        pairs = self.pairs
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        self.lag.take()

        def acked(future: asyncio.Future[Any]) -> None:
            nonlocal acks_failed
            if future.cancelled() or future.exception() is not None or not future.result().get("ok"):
                acks_failed += 1

        seq = first_seq
        count = 0
        tick = 0.005
        end = wall0 + seconds
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            due = int((now - wall0) * rate) - count
            for _ in range(due):
                pair = pairs[count % len(pairs)]
                text = f"{seq} {PAD}"[:100]
                sent[seq] = time.perf_counter()
                try:
                    if (count // len(pairs)) % 2 == 0:
                        future = await pair.customer.emit_with_ack("chat_send", {"text": text})
                    else:
                        future = await pair.agent.emit_with_ack(
                            "chat_send", {"case_id": pair.case_id, "text": text})
                    future.add_done_callback(acked)
                except Exception:
                    acks_failed += 1
                seq += 1
                count += 1
            await asyncio.sleep(tick)
        send_seconds = time.perf_counter() - wall0
        self.expected = len(sent)
        if len(self.received) < len(sent):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_received.wait(), drain)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        latencies = [self.received[s] - t for s, t in sent.items() if s in self.received]
        return {
            "sent": len(sent), "received": len(latencies), "acks_failed": acks_failed,
            "send_seconds": send_seconds, "latencies": latencies,
            "cpu_percent": 100.0 * cpu / send_seconds if wall else 0.0,
            "lag": self.lag.take(), "next_seq": seq,
        }


def _ok(ack: Any) -> dict[str, Any]:
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"refused: {ack!r}"[:300])
    return ack


async def _serve(conn: Connection, index: int, url: str, kind: str) -> None:
    worker = Worker(index, url, kind)
    await worker.start()
    try:
        while True:
            command, args = await asyncio.to_thread(conn.recv)
            if command == "stop":
                break
            try:
                result = await getattr(worker, command)(**args)
                conn.send(("ok", result))
            except Exception as error:  # reported to the orchestrator, which stops the run
                conn.send(("error", f"{type(error).__name__}: {error}"[:500]))
    finally:
        await worker.stop()
        conn.send(("stopped", None))


def worker_main(conn: Connection, index: int, url: str, kind: str) -> None:
    """Entry point of a load worker process (multiprocessing, spawn)."""
    raise_fd_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(conn, index, url, kind))
    else:
        uvloop.run(_serve(conn, index, url, kind))
