"""The Python servers under test, each run as its own process by bench/signalling.py.

    python -m bench.signalling_servers helpwire --port P --data-dir D --agents N
    python -m bench.signalling_servers python-socketio --port P

`helpwire` is the real application (server.app.create_app, started as `python -m server serve`
starts it, with the configured event loop; settings from HELPWIRE_* as usual) plus agents for the
chatting pairs. `python-socketio` is the bare baseline: python-socketio on aiohttp with the same
events and nothing else (kiosks idle in rooms, Help presses queue, chat relayed between pairs).
Both add `GET /bench/lag`: event-loop lag and collector pauses since the last call, measured in the
server by server.runtime.loop_monitor.LoopMonitor (10 ms samples, as Node's monitor in the Node
baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import itertools
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from server.runtime.loop_monitor import LoopMonitor


class LagRecorder:
    def __init__(self, monitor: LoopMonitor) -> None:
        self.lags: list[float] = []
        self.pauses: list[tuple[int, float]] = []
        monitor.lag_observers.append(lambda seconds: self.lags.append(seconds))
        monitor.pause_observers.append(lambda generation, seconds: self.pauses.append((generation, seconds)))

    async def handler(self, request: web.Request) -> web.Response:
        lags, self.lags = sorted(self.lags), []
        pauses, self.pauses = self.pauses, []

        def pct(q: float) -> float:
            return 1000 * lags[min(len(lags) - 1, int(q * len(lags)))] if lags else 0.0

        full = [s for g, s in pauses if g == 2]
        return web.json_response({
            "count": len(lags), "p50_ms": pct(0.5), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
            "max_ms": 1000 * lags[-1] if lags else 0.0,
            "gc_count": len(pauses), "gc_max_ms": 1000 * max((s for _, s in pauses), default=0.0),
            "gc_total_ms": 1000 * sum(s for _, s in pauses),
            "gc_full_count": len(full), "gc_full_max_ms": 1000 * max(full, default=0.0),
        })


# ---------------------------------------------------------------------- Helpwire


async def connection_state(request: web.Request) -> web.Response:
    """How much per-connection state the server holds now (the churn benchmark's leftovers check)."""
    from server.web.keys import SERVICES

    services = request.app[SERVICES]
    sio = services.sio
    kiosk = sio.namespace_handlers["/kiosk"]
    rooms = sio.manager.rooms.get("/kiosk", {})
    return web.json_response({
        "eio_sockets": len(sio.eio.sockets), "sio_environ": len(sio.environ),
        "kiosk_sids": len(rooms.get(None, {})), "kiosk_rooms": len(rooms),
        "indexed_sids": len(sio.manager.rooms_of.get("/kiosk", {})),
        "kiosk_ids": len(kiosk._kiosks), "case_of": len(kiosk._case_of),
        "tasks": len(asyncio.all_tasks()),
        "gc_frozen": gc.get_freeze_count(), "gc_counts": list(gc.get_count()),
    })


async def cyclic_garbage(request: web.Request) -> web.Response:
    """Unfreeze, collect in full and count what only the collector could free (end of a run only:
    this is one stop of the whole heap), by type; then freeze again as the tuning would."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        found = gc.collect()
    finally:
        gc.set_debug(0)
    types = collections.Counter(type(o).__qualname__ for o in gc.garbage)
    gc.garbage.clear()
    gc.collect()
    gc.freeze()
    return web.json_response({"unreachable": found, "frozen_before": frozen,
                              "frozen_after": gc.get_freeze_count(),
                              "types": dict(types.most_common(12))})


def run_helpwire(port: int, data_dir: Path, agents: int) -> None:
    from argon2 import PasswordHasher

    from bench import LOAD_TEST_SECURITY
    from server.app import LOOP_MONITOR, create_app
    from server.logs import configure_logging
    from server.runtime.tuning import new_event_loop
    from server.settings import load_settings
    from server.store import AgentRepository, Database

    settings = load_settings(storage__data_dir=data_dir, network__port=port,
                             security__secret_key="bench-secret-not-for-production",
                             log__level="WARNING", security=LOAD_TEST_SECURITY)
    configure_logging(settings.log.level, settings.log.json_lines)
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # sign-in stays real, cheap

    async def create_agents() -> None:
        database = Database(settings.storage.resolved_database_url)
        await database.start()
        try:
            repository = AgentRepository(database)
            password = hasher.hash("bench-password")
            for number in range(agents):
                await repository.create(username=f"bench-agent-{number}", display_name=f"Agent {number}",
                                        password_hash=password, max_concurrent=1)
        finally:
            await database.close()

    asyncio.run(create_agents())
    if os.environ.get("BENCH_ENGINEIO_WAIT") == "stock":
        # the churn benchmark's baseline: Engine.IO's own websocket ending (wait() raises OSError at
        # close: a reference cycle per closed connection) and its ping tasks left to run out
        # (server/signalling/transport.py, server/signalling/pings.py)
        import server.app
        from server.signalling.pings import PingSchedule

        class NoReaping(PingSchedule):
            def closed(self, handler: Any) -> None:
                pass

        server.app.closing_without_cycles = lambda base: base  # type: ignore[attr-defined]
        server.app.PingSchedule = NoReaping  # type: ignore[attr-defined, misc]
    app = create_app(settings)
    recorder = LagRecorder(app[LOOP_MONITOR])
    app.router.add_get("/bench/lag", recorder.handler)
    app.router.add_get("/bench/state", connection_state)
    # the same lag measured in the server's own CPU time: on a shared machine a niced server is
    # also late because the OS ran someone else; this part is only what the loop itself did
    cpu_monitor = LoopMonitor(settings.runtime.loop_monitor_interval_seconds, 10.0, clock=time.thread_time)
    app.router.add_get("/bench/cpulag", LagRecorder(cpu_monitor).handler)

    async def cpu_lag(app: web.Application) -> Any:
        cpu_monitor.start()
        yield
        await cpu_monitor.stop()

    app.cleanup_ctx.append(cpu_lag)
    app.router.add_get("/bench/garbage", cyclic_garbage)
    print(f"helpwire ready on {port} with event_loop={settings.runtime.event_loop} "
          f"gc_freeze_on_start={settings.runtime.gc_freeze_on_start} "
          f"gc_freeze_interval_seconds={settings.runtime.gc_freeze_interval_seconds} "
          f"gc_thresholds={settings.runtime.gc_thresholds}", file=sys.stderr, flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, shutdown_timeout=2.0,
                loop=new_event_loop(settings.runtime.event_loop))


# ---------------------------------------------------------------------- bare python-socketio


def bare_app() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", logger=False, engineio_logger=False)
    app = web.Application()
    sio.attach(app)
    queue: list[str] = []
    customer_of: dict[str, str] = {}  # case → customer sid
    agent_of: dict[str, str] = {}  # case → agent sid
    case_of: dict[str, str] = {}  # customer sid → case
    agents: list[str] = []
    next_agent = itertools.count()

    async def kiosk_connect(sid: str, environ: Any, auth: Any = None) -> bool:
        kiosk_id = auth.get("kiosk_id") if isinstance(auth, dict) else None
        if not isinstance(kiosk_id, str):
            return False
        await sio.enter_room(sid, f"kiosk:{kiosk_id}", namespace="/kiosk")
        return True

    def help_request(namespace: str) -> Any:
        async def handler(sid: str, data: Any) -> dict[str, Any]:
            case_id = uuid.uuid4().hex
            queue.append(case_id)
            customer_of[case_id] = sid
            case_of[sid] = case_id
            await sio.enter_room(sid, f"case:{case_id}", namespace=namespace)
            if namespace == "/customer" and agents:
                await sio.emit("offer", {"case_id": case_id},
                               to=agents[next(next_agent) % len(agents)], namespace="/agent")
            return {"ok": True, "case_id": case_id, "case": {"position": queue.index(case_id) + 1}}
        return handler

    def cancel(namespace: str) -> Any:
        async def handler(sid: str, data: Any) -> dict[str, Any]:
            case_id = case_of.pop(sid, None)
            if case_id in queue:
                queue.remove(case_id)
            if case_id is not None:
                customer_of.pop(case_id, None)
                await sio.leave_room(sid, f"case:{case_id}", namespace=namespace)
            return {"ok": True}
        return handler

    async def customer_chat(sid: str, data: Any) -> dict[str, Any]:
        case_id = case_of[sid]
        message = {"case_id": case_id, "sender": "customer", "text": data["text"], "id": uuid.uuid4().hex}
        await sio.emit("chat_message", message, to=agent_of[case_id], namespace="/agent")
        return {"ok": True, "message": message}

    async def agent_connect(sid: str, environ: Any, auth: Any = None) -> bool:
        agents.append(sid)
        return True

    async def agent_ok(sid: str, data: Any) -> dict[str, Any]:
        return {"ok": True}

    async def offer_accept(sid: str, data: Any) -> dict[str, Any]:
        case_id = data["case_id"]
        if case_id in queue:
            queue.remove(case_id)
        agent_of[case_id] = sid
        agents.remove(sid)  # one case per agent, as the Helpwire run's agents
        return {"ok": True}

    async def agent_chat(sid: str, data: Any) -> dict[str, Any]:
        case_id = data["case_id"]
        message = {"case_id": case_id, "sender": "agent", "text": data["text"], "id": uuid.uuid4().hex}
        await sio.emit("chat_message", message, room=f"case:{case_id}", namespace="/customer")
        return {"ok": True, "message": message}

    sio.on("connect", kiosk_connect, namespace="/kiosk")
    for namespace in ("/kiosk", "/customer"):
        sio.on("help_request", help_request(namespace), namespace=namespace)
        sio.on("cancel", cancel(namespace), namespace=namespace)
    sio.on("chat_send", customer_chat, namespace="/customer")
    sio.on("connect", agent_connect, namespace="/agent")
    sio.on("agent_hello", agent_ok, namespace="/agent")
    sio.on("presence_set", agent_ok, namespace="/agent")
    sio.on("offer_accept", offer_accept, namespace="/agent")
    sio.on("chat_send", agent_chat, namespace="/agent")

    monitor = LoopMonitor(0.01, 0.1)
    recorder = LagRecorder(monitor)
    app.router.add_get("/bench/lag", recorder.handler)

    async def lifecycle(app: web.Application) -> Any:
        monitor.start()
        yield
        await monitor.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signalling_servers")
    parser.add_argument("kind", choices=["helpwire", "python-socketio"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench/data"))
    parser.add_argument("--agents", type=int, default=50)
    args = parser.parse_args()
    from bench.signalling_client import raise_fd_limit

    raise_fd_limit()
    if args.kind == "helpwire":
        run_helpwire(args.port, args.data_dir, args.agents)
    else:
        web.run_app(bare_app(), host="127.0.0.1", port=args.port, print=None, shutdown_timeout=2.0)


if __name__ == "__main__":
    main()
