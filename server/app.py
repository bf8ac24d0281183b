"""The aiohttp application factory: HTTP routes, Socket.IO namespaces, start-up and clean shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import socketio
from aiohttp import web

from .core.clock import Clock, SystemClock
from .core.engine import CaseEngine, EngineConfig
from .core.routing import RuleSet, load_rules
from .logs import get_logger
from .runtime.hub import AGENT_NS, CUSTOMER_NS, KIOSK_NS, Hub
from .runtime.persister import Persister
from .runtime.services import Services
from .security.tokens import TokenSigner
from .settings import Settings
from .signalling.agent import AgentNamespace
from .signalling.customer import CustomerNamespace, KioskNamespace
from .store import AgentRepository, CaseRepository, Database
from .web import api, pages
from .web.keys import SERVICES, SETTINGS

log = get_logger("helpwire.app")


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
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS] = settings
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=settings.cors_allowed_origins or None,
        max_http_buffer_size=settings.max_transport_bytes,
        logger=False,
        engineio_logger=False,
    )
    sio.attach(app)
    app.add_routes(api.routes)
    pages.setup(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        await database.start()
        cases = CaseRepository(database)
        engine = CaseEngine(engine_config(settings), rules, clock or SystemClock())
        persister = Persister(cases, engine.cases.get)
        hub = Hub(sio, engine, persister, settings.tick_seconds)
        services = Services(
            settings=settings,
            database=database,
            cases=cases,
            agents=AgentRepository(database),
            engine=engine,
            hub=hub,
            persister=persister,
            signer=TokenSigner(settings.resolved_secret_key(), settings.agent_token_ttl_seconds),
        )
        app[SERVICES] = services
        sio.register_namespace(CustomerNamespace(CUSTOMER_NS, services))
        sio.register_namespace(KioskNamespace(KIOSK_NS, services))
        sio.register_namespace(AgentNamespace(AGENT_NS, services))
        persister.start()
        hub.start()
        log.info("server_started", database=database.dialect_name)
        try:
            yield
        finally:
            await hub.stop()
            await persister.stop()
            await database.close()
            log.info("server_stopped")

    async def disconnect_everyone(app: web.Application) -> None:
        """Close every socket before aiohttp waits for them, so shutdown is prompt."""
        if sio.eio.sockets:
            await sio.eio.disconnect()
        await sio.shutdown()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(disconnect_everyone)
    return app

