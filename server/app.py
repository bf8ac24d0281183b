"""The aiohttp application factory: HTTP routes, Socket.IO namespaces, start-up and clean shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import socketio
from aiohttp import WSCloseCode, web

from .admin.live import LiveConfig
from .admin.service import AdminService
from .admin.watch import AdminWatcher
from .cluster.membership import Membership
from .cluster.replica import WriteThroughDispatchState
from .cluster.wiring import feed_follower, membership, shared_dispatch_state
from .core.clock import Clock, SystemClock
from .core.engine import CaseEngine
from .core.routing import RuleSet, load_rules
from .insights import Insights, setup_routes
from .insights.wiring import INSIGHTS, METRICS
from .logs import get_logger
from .media.sessions import MediaSessions
from .photos.service import PhotoService
from .privacy.operations import PrivacyOperations
from .privacy.purge import RetentionPurge, pseudonym_key
from .runtime.drain import Drain
from .runtime.hub import Hub
from .runtime.loop_monitor import LoopMonitor
from .runtime.outbox import build_outbox
from .runtime.persister import Persister
from .runtime.resume import resume_live_cases
from .runtime.tuning import CollectorTuning
from .security.guard import Guard
from .security.secret_key import secret_key
from .security.tokens import TokenSigner
from .services import Services
from .settings import Settings, log_renamed
from .settings.engine import engine_config
from .signalling import engineio_compat, safe_json, socketio_compat
from .signalling.agent import AgentNamespace
from .signalling.customer import CustomerNamespace, KioskNamespace
from .signalling.emitter import SocketEmitter
from .signalling.heartbeat import HeartbeatMonitor
from .signalling.manager import IndexedManager
from .signalling.pings import PingSchedule
from .signalling.rooms import AGENT_NS, CUSTOMER_NS, KIOSK_NS, case_room
from .signalling.transport import closing_without_cycles
from .store import AgentRepository, AnalyticsRepository, CaseRepository, Database
from .web import (
    admin_api,
    api,
    cors,
    draining,
    errors,
    headers,
    ingest,
    pages,
    photos_api,
    privacy_api,
    widget_api,
)
from .web.keys import SERVICES, SETTINGS
from .web.origins import OriginPolicy

log = get_logger("helpwire.app")

#: the running server's loop monitor (lag and collector pauses; the benchmark adds an observer)
LOOP_MONITOR: web.AppKey[LoopMonitor] = web.AppKey("loop_monitor", LoopMonitor)

#: picks up admin changes made on other nodes
ADMIN_WATCHER: web.AppKey[AdminWatcher] = web.AppKey("admin_watcher", AdminWatcher)


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    rules: RuleSet | None = None,
) -> web.Application:
    """Build the application. Rules are read now, so a broken rules file stops start-up at once."""
    log_renamed(settings, log)
    rules = rules if rules is not None else load_rules(Path(settings.rules_file))
    network = settings.network
    app = web.Application(client_max_size=network.max_request_bytes,
                          middlewares=[cors.widget_cors, errors.json_errors,
                                       draining.refuse_new_connections])
    app[SETTINGS] = settings
    # the server's own origin always, and the listed shop domains (server/web/origins.py)
    origin_policy = app[cors.ORIGIN_POLICY] = OriginPolicy(network.cors_allowed_origins)
    sio = socketio_compat.GuardedServer(
        async_mode="aiohttp",
        cors_allowed_origins=origin_policy.allows_environ,
        max_http_buffer_size=network.max_transport_bytes,
        # what the handshake announces: the longest wait; sockets that matter are pinged more often
        ping_interval=network.idle_ping_interval_seconds,
        ping_timeout=network.ping_timeout_seconds,
        monitor_clients=False,  # HeartbeatMonitor closes silent sockets instead
        json=safe_json,
        client_manager=IndexedManager(),
        logger=False,
        engineio_logger=False,
    )
    engineio_compat.check(sio.eio)  # before anything relies on its internals
    socketio_compat.check(sio)
    sio.attach(app)
    pings = PingSchedule(sio.eio, network.ping_interval_seconds, network.idle_ping_interval_seconds)
    websockets = _track_websockets(sio, pings)
    heartbeat = HeartbeatMonitor(sio.eio, settings.dispatch.tick_seconds)
    app.add_routes(api.routes)
    app.add_routes(widget_api.routes)
    app.add_routes(ingest.routes)
    app.add_routes(privacy_api.routes)
    app.add_routes(photos_api.routes)
    app.add_routes(admin_api.routes)
    setup_routes(app)  # /metrics, /supervisor
    if settings.demo:
        app[ingest.DEMO_INGEST_KEY] = ingest.new_demo_key()
    pages.setup(app)
    headers.setup(app)
    tuning = settings.runtime
    monitor = LoopMonitor(tuning.loop_monitor_interval_seconds, tuning.loop_stall_warning_seconds)
    app[LOOP_MONITOR] = monitor
    app[METRICS].watch(monitor)
    collector = CollectorTuning(tuning.gc_thresholds, tuning.gc_freeze_on_start,
                                tuning.gc_freeze_interval_seconds, tuning.gc_thaw_interval_seconds)
    #: the token secret: configured, or generated once in the data folder
    key = secret_key(settings.security, settings.storage.data_dir)

    async def storage_and_wiring(app: web.Application) -> AsyncIterator[None]:
        """The database first (migrated), then every component wired to it; nothing runs yet."""
        database = Database.of(settings.storage)
        await database.start()
        try:
            app[SERVICES] = _wire(app, settings, key, rules, clock, sio, pings, database)
            yield
        finally:
            await database.close()
            log.info("server_stopped")

    async def live_settings(app: web.Application) -> AsyncIterator[None]:
        """What /admin changed (seeded from the settings and rules files on first start), before
        any case is resumed or routed."""
        services = app[SERVICES]
        seeded = await services.live.load(services.admin.stored, services.engine.clock.now())
        if seeded:
            log.info("admin_settings_seeded", sections=seeded)
        # another node's admin changes, when there are other nodes (server/admin/watch.py)
        app[ADMIN_WATCHER] = AdminWatcher(services, settings.admin.reload_seconds,
                                          enabled=bool(settings.cluster.redis_url))
        yield

    async def shared_state(app: web.Application) -> AsyncIterator[None]:
        """The dispatch state shared through Redis, when configured: reachable, this node's
        previous run forgotten and the other nodes' state loaded before anything runs (its own
        cases are restored next), the change feed followed from then on; closed last."""
        shared, feed = app[SERVICES].shared_dispatch, app[SERVICES].feed
        if shared is None or feed is None:
            yield
            return
        try:
            await shared.start()
            feed.start()
            log.info("dispatch_state_shared", key_prefix=settings.cluster.key_prefix,
                     node_id=shared.node_id)
            yield
        finally:
            await feed.stop()
            await shared.close()

    async def resumed(app: web.Application) -> AsyncIterator[None]:
        """The live cases back: every one with one process; in a cluster those this node
        hosts (and, once, the cases stored without a host by one process before)."""
        services = app[SERVICES]
        host = services.cases.host
        if host is not None:
            claimed = await services.cases.claim(host, None)
            if claimed:
                log.info("cases_claimed_unhosted", cases=len(claimed))
        await resume_live_cases(services.cases, services.agents, services.engine, services.hub,
                                settings.durability.restart_grace_seconds, host=host)
        yield

    async def node_membership(app: web.Application) -> AsyncIterator[None]:
        """The node's lease in Redis and the adoption of stopped nodes' cases (a cluster)."""
        member = app[SERVICES].membership
        if member is None:
            yield
            return
        member.start()
        try:
            yield
        finally:
            await member.stop()

    async def announced(app: web.Application) -> AsyncIterator[None]:
        log.info("server_started", database=app[SERVICES].database.dialect_name)
        yield

    # one context per component, in dependency order: aiohttp stops them in reverse, and if one
    # fails to start, those already running are stopped (runner.cleanup() after a failed setup)
    app.cleanup_ctx.extend([
        storage_and_wiring,
        shared_state,
        live_settings,
        running(lambda a: a[SERVICES].guard.passwords),
        running(lambda a: a[SERVICES].outbox),  # stopped after the persister's last commits
        running(lambda a: a[SERVICES].persister),
        resumed,  # before any timer or socket: live cases are back first
        node_membership,
        running(lambda a: a[ADMIN_WATCHER]),
        running(lambda a: a[SERVICES].hub),
        running(lambda a: a[SERVICES].media),
        running(lambda a: a[SERVICES].photos),
        running(lambda a: a[INSIGHTS]),
        running(lambda a: RetentionPurge(a[SERVICES].database, settings.privacy,
                                         a[SERVICES].engine.clock,
                                         pseudonym_key(key))),
        running(lambda a: monitor),
        running(lambda a: heartbeat),
        running(lambda a: collector),  # last: what start-up made is frozen
        announced,
    ])

    async def disconnect_everyone(app: web.Application) -> None:
        """Say why, then close every socket before aiohttp waits for them, so shutdown is prompt."""
        await announce_restart(sio, network.restart_retry_after_ms, network.restart_notice_seconds)
        # close(wait=False): Engine.IO's own disconnect-all waits forever on a socket whose
        # client left at this very moment, and fails outright when the last one just went
        closing = [
            asyncio.create_task(socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT))
            for socket in list(sio.eio.sockets.values())
        ]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=network.disconnect_seconds)
            if pending:
                log.warning("shutdown_disconnect_timeout", sockets=len(pending))
        # aiohttp stops reading from connections before on_shutdown, so a client's closing
        # handshake never arrives and each websocket would hold shutdown for its whole timeout
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY) for ws in list(websockets)))
        await sio.shutdown()

    app.on_shutdown.append(disconnect_everyone)
    return app


class Component(Protocol):
    """What runs beside the requests: started once the app starts, stopped when it stops."""

    def start(self) -> None: ...
    async def stop(self) -> None: ...


def running(
    part_of: Callable[[web.Application], Component],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that starts a component and stops it at shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        part = part_of(app)
        part.start()
        try:
            yield
        finally:
            await part.stop()

    return context


def _wire(
    app: web.Application,
    settings: Settings,
    key: str,
    rules: RuleSet,
    clock: Clock | None,
    sio: socketio.AsyncServer,
    pings: PingSchedule,
    database: Database,
) -> Services:
    """Build every component on one database and hand each what it needs (no I/O here)."""
    cases = CaseRepository(database)
    shared = shared_dispatch_state(settings.cluster)
    if shared is not None:
        cases.host = shared.node_id  # written as each new case's host; fences this node's writes
    engine = CaseEngine(engine_config(settings), rules, clock or SystemClock(), state=shared)
    persister = Persister(cases, engine.cases.get, settings.durability)
    emitter = SocketEmitter(sio, lambda case_id: _channel(engine, case_id))
    hub = Hub(engine, persister, emitter.send, settings.dispatch,
              shared_state=shared.flush if shared is not None else None)
    if shared is not None:
        # other nodes' changes came in: offers that no longer hold end, free agents are rung
        shared.changed.append(lambda: hub.run(engine.reconsider()))
    outbox = build_outbox(settings.outbox, settings.consent.pos_webhook_secret, settings.reports,
                          database, hub)
    cases.delivery_listeners.append(outbox.wake)  # a committed row is attempted at once
    media = MediaSessions(settings.media, settings.consent, settings.dispatch.tick_seconds,
                          engine, hub)
    hub.observers.append(media.after_effects)
    photos = PhotoService(settings.photos, engine, hub, engine.clock)
    hub.observers.append(photos.after_effects)
    live = LiveConfig.from_files(settings, engine)
    agents = AgentRepository(database)
    services = Services(
        settings=settings,
        database=database,
        cases=cases,
        agents=agents,
        engine=engine,
        hub=hub,
        persister=persister,
        signer=TokenSigner(key, settings.security.agent_token_ttl_seconds),
        analytics=AnalyticsRepository(database),
        sio=sio,
        emitter=emitter,
        media=media,
        outbox=outbox,
        privacy=PrivacyOperations(database, engine.clock, engine=engine, hub=hub),
        guard=Guard(settings.security, clock or SystemClock()),
        pings=pings,
        shared_dispatch=shared,
        feed=feed_follower(settings.cluster, shared) if shared is not None else None,
        photos=photos,
        live=live,
        admin=AdminService(settings, database, agents, engine, hub, sio, live),
        drain=Drain(engine, hub, sio, settings.cluster,
                    settle_seconds=settings.network.shutdown_seconds,
                    disconnect_seconds=settings.network.disconnect_seconds),
    )
    if shared is not None:
        services.membership = _membership(settings, services, shared)
    sio.register_namespace(CustomerNamespace(CUSTOMER_NS, services))
    sio.register_namespace(KioskNamespace(KIOSK_NS, services))
    sio.register_namespace(AgentNamespace(AGENT_NS, services))
    Insights(app, sio, services)  # registers itself as app[INSIGHTS]
    return services


def _membership(settings: Settings, services: Services,
                shared: WriteThroughDispatchState) -> Membership:
    """The lease and adoptions, with what taking cases over and letting them go means here."""
    engine, sio = services.engine, services.sio

    async def take_over(case_ids: list[str]) -> None:
        await resume_live_cases(services.cases, services.agents, engine, services.hub,
                                settings.durability.restart_grace_seconds, only=case_ids)

    async def let_go(case_ids: set[str]) -> None:
        gone = engine.evict(case_ids)
        shared.disown(gone)
        # the customers reconnect (and are told case_moving until they reach the new host)
        for case_id in gone:
            for namespace in (CUSTOMER_NS, KIOSK_NS):
                for sid, _ in list(sio.manager.get_participants(namespace, case_room(case_id))):
                    await sio.disconnect(sid, namespace=namespace)

    member = membership(settings.cluster, shared, services.cases, take_over, let_go,
                        lambda: [c.id for c in engine.live_cases()])
    tasks: set[asyncio.Task[None]] = set()

    def fenced(case_ids: set[str]) -> None:  # a write of cases another node adopted
        task = asyncio.get_running_loop().create_task(member.let_go(case_ids))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    services.persister.moved_listeners.append(fenced)
    return member


def _channel(engine: CaseEngine, case_id: str) -> str | None:
    case = engine.cases.get(case_id)
    return case.channel if case is not None else None
#: the event every connected client receives when the server shuts down gracefully
SERVER_RESTARTING = "server_restarting"


async def announce_restart(sio: socketio.AsyncServer, retry_after_ms: int,
                           notice_seconds: float) -> None:
    """Tell every connected client, on every namespace, that the server is going away and when
    to come back, and give the words up to ``notice_seconds`` to reach the sockets."""
    payload = {"reason": "shutdown", "retry_after_ms": retry_after_ms}
    for namespace in list(sio.manager.get_namespaces()):
        await sio.emit(SERVER_RESTARTING, payload, namespace=namespace)
    # a websocket's writer takes each queued packet and writes it to the transport at once, so
    # an empty queue means the words are on their way (long-polling waits for its next GET)
    queues = [socket.queue.join() for socket in list(sio.eio.sockets.values()) if not socket.closed]
    if not queues:
        return
    _, pending = await asyncio.wait([asyncio.ensure_future(q) for q in queues],
                                     timeout=notice_seconds)
    for waiting in pending:
        waiting.cancel()
    if pending:
        log.warning("restart_notice_timeout", sockets=len(pending))


def _track_websockets(sio: socketio.AsyncServer, pings: PingSchedule) -> set[web.WebSocketResponse]:
    """The open websockets of Engine.IO's aiohttp transport, so shutdown can close them."""
    open_sockets: set[web.WebSocketResponse] = set()
    driver = sio.eio._async  # the transport's hooks (module-wide): this server gets a copy
    base: Any = closing_without_cycles(driver["websocket"])

    class TrackedWebSocket(base):  # type: ignore[misc]
        def __init__(self, handler: Any, server: Any) -> None:
            async def tracked(ws: Any) -> None:
                open_sockets.add(ws._sock)
                try:
                    await handler(ws)
                finally:
                    open_sockets.discard(ws._sock)
                    pings.closed(handler)  # its pending ping goes at once

            super().__init__(tracked, server)

    sio.eio._async = {**driver, "websocket": TrackedWebSocket}
    return open_sockets
