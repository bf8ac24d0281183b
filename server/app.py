"""The aiohttp application factory: HTTP routes, Socket.IO namespaces, start-up and clean shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import socketio
from aiohttp import WSCloseCode, web

from .core.clock import Clock, SystemClock
from .core.engine import CaseEngine, EngineConfig
from .core.routing import RuleSet, load_rules
from .insights import Insights, setup_routes
from .insights.wiring import METRICS
from .logs import get_logger
from .media.sessions import MediaSessions
from .runtime.hub import AGENT_NS, CUSTOMER_NS, KIOSK_NS, Hub
from .runtime.loop_monitor import LoopMonitor
from .runtime.persister import Persister
from .runtime.services import Services
from .runtime.tuning import CollectorTuning
from .security.tokens import TokenSigner
from .settings import Settings
from .signalling import safe_json
from .signalling.agent import AgentNamespace
from .signalling.customer import CustomerNamespace, KioskNamespace
from .signalling.manager import IndexedManager
from .signalling.transport import PingReaper, closing_without_cycles
from .store import AgentRepository, AnalyticsRepository, CaseRepository, Database
from .web import api, cors, ingest, pages, widget_api
from .web.keys import SERVICES, SETTINGS

log = get_logger("helpwire.app")

#: the running server's loop monitor (lag and collector pauses; the benchmark adds an observer)
LOOP_MONITOR: web.AppKey[LoopMonitor] = web.AppKey("loop_monitor", LoopMonitor)

#: how long shutdown waits for Engine.IO to say goodbye to every client
DISCONNECT_TIMEOUT_SECONDS = 1.0


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        promise_seconds=settings.promise_seconds,
        promise_guard_seconds=min(10.0, settings.promise_seconds / 4),
        offer_timeout_seconds=settings.offer_timeout_seconds,
        max_queue_length=settings.max_queue_length,
        customer_grace_seconds=settings.customer_grace_seconds,
        agent_grace_seconds=settings.agent_grace_seconds,
        cart_hold_seconds=settings.cart_hold_seconds,
        eta_prior_seconds=settings.eta_prior_seconds,
        eta_alpha=settings.eta_alpha,
        labels=tuple(settings.labels),
        transcript_retention=settings.transcript_retention,
    )


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    rules: RuleSet | None = None,
) -> web.Application:
    """Build the application. Rules are read now, so a broken rules file stops start-up at once."""
    rules = rules if rules is not None else load_rules(Path(settings.rules_file))
    app = web.Application(client_max_size=64 * 1024, middlewares=[cors.widget_cors, api.json_errors])
    app[SETTINGS] = settings
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=settings.cors_allowed_origins or None,
        max_http_buffer_size=settings.max_transport_bytes,
        json=safe_json,
        client_manager=IndexedManager(),
        logger=False,
        engineio_logger=False,
    )
    sio.attach(app)
    websockets = _track_websockets(sio)
    app.add_routes(api.routes)
    app.add_routes(widget_api.routes)
    app.add_routes(ingest.routes)
    setup_routes(app)  # /metrics, /supervisor
    if settings.demo:
        app[ingest.DEMO_INGEST_KEY] = ingest.new_demo_key()
    pages.setup(app)
    monitor = LoopMonitor(settings.loop_monitor_interval_seconds, settings.loop_stall_warning_seconds)
    app[LOOP_MONITOR] = monitor
    app[METRICS].watch(monitor)
    collector = CollectorTuning(settings.gc_thresholds, settings.gc_freeze_on_start,
                                settings.gc_freeze_interval_seconds, settings.gc_thaw_interval_seconds)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        await database.start()
        cases = CaseRepository(database)
        engine = CaseEngine(engine_config(settings), rules, clock or SystemClock())
        persister = Persister(cases, engine.cases.get)
        hub = Hub(sio, engine, persister, settings.tick_seconds,
              finished_case_memory_seconds=settings.finished_case_memory_seconds)
        services = Services(
            settings=settings,
            database=database,
            cases=cases,
            agents=AgentRepository(database),
            engine=engine,
            hub=hub,
            persister=persister,
            signer=TokenSigner(settings.resolved_secret_key(), settings.agent_token_ttl_seconds),
            analytics=AnalyticsRepository(database),
        )
        media = MediaSessions(settings, engine, hub)
        hub.observers.append(media.after_effects)
        services.media = media
        app[SERVICES] = services
        sio.register_namespace(CustomerNamespace(CUSTOMER_NS, services))
        sio.register_namespace(KioskNamespace(KIOSK_NS, services))
        sio.register_namespace(AgentNamespace(AGENT_NS, services))
        insights = Insights(app, sio, services)
        persister.start()
        hub.start()
        media.start()
        insights.start()
        monitor.start()
        collector.start()  # last: what start-up made is frozen
        log.info("server_started", database=database.dialect_name)
        try:
            yield
        finally:
            await collector.stop()
            await monitor.stop()
            await insights.stop()
            await media.stop()
            await hub.stop()
            await persister.stop()
            await database.close()
            log.info("server_stopped")

    async def disconnect_everyone(app: web.Application) -> None:
        """Close every socket before aiohttp waits for them, so shutdown is prompt."""
        # close(wait=False): Engine.IO's own disconnect-all waits forever on a socket whose
        # client left at this very moment, and fails outright when the last one just went
        closing = [
            asyncio.create_task(socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT))
            for socket in list(sio.eio.sockets.values())
        ]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=DISCONNECT_TIMEOUT_SECONDS)
            if pending:
                log.warning("shutdown_disconnect_timeout", sockets=len(pending))
        # aiohttp stops reading from connections before on_shutdown, so a client's closing
        # handshake never arrives and each websocket would hold shutdown for its whole timeout
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY) for ws in list(websockets)))
        await sio.shutdown()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(disconnect_everyone)
    return app


def _track_websockets(sio: socketio.AsyncServer) -> set[web.WebSocketResponse]:
    """The open websockets of Engine.IO's aiohttp transport, so shutdown can close them."""
    open_sockets: set[web.WebSocketResponse] = set()
    driver = sio.eio._async  # the transport's hooks (module-wide): this server gets a copy
    base: Any = closing_without_cycles(driver["websocket"])
    reaper = PingReaper(sio.eio)

    class TrackedWebSocket(base):  # type: ignore[misc]
        def __init__(self, handler: Any, server: Any) -> None:
            async def tracked(ws: Any) -> None:
                open_sockets.add(ws._sock)
                try:
                    await handler(ws)
                finally:
                    open_sockets.discard(ws._sock)
                    reaper.closed(handler)

            super().__init__(tracked, server)

    sio.eio._async = {**driver, "websocket": TrackedWebSocket}
    return open_sockets
