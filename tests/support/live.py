"""A real Helpwire server on an ephemeral loopback port, and helpers to drive it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from argon2 import PasswordHasher

from server.app import create_app
from server.core.clock import Clock
from server.services import Services
from server.settings import Settings, load_settings
from server.web.keys import SERVICES

from .limits import LOOPBACK_SECURITY

#: Argon2id with the cheapest parameters: tests create many agents, and verification reads the
#: parameters from the hash, so sign-in stays real but fast (production hashing is unchanged)
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class LiveServer:
    url: str
    app: web.Application
    settings: Settings
    runner: web.AppRunner | None = None

    async def stop(self) -> None:
        """Shut the server down as the process would (idempotent; the fixture calls it too)."""
        runner, self.runner = self.runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    async def create_agent(
        self,
        username: str,
        display_name: str,
        password: str = "password123",
        skills: tuple[str, ...] = (),
        languages: tuple[str, ...] = (),
        max_concurrent: int = 3,
        roles: tuple[str, ...] = (),
    ) -> str:
        agent = await self.services.agents.create(
            username=username,
            display_name=display_name,
            password_hash=_TEST_HASHER.hash(password),
            skills=skills,
            languages=languages,
            max_concurrent=max_concurrent,
            roles=roles,
        )
        return agent.id

    async def login(self, username: str, password: str = "password123") -> str:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{self.url}/api/agent/login", json={"username": username, "password": password}
            ) as response:
                body = await response.json()
                assert response.status == 200, body
                return str(body["token"])

    async def close_database(self) -> None:
        """Take the database away under the running server (a test of what clients then see).

        The outbox worker is stopped first: a query it has in flight when the engine is disposed
        would leave its aiosqlite connection unclosed (a ResourceWarning, an error in tests).
        """
        await self.services.outbox.stop()
        await self.services.database.close()

    async def flush(self) -> None:
        """Wait until every case row the server decided to write has been written."""
        await self.services.persister.flush()


@asynccontextmanager
async def live_server(
    tmp_path: Path, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[LiveServer]:
    values: dict[str, Any] = {
        "storage__data_dir": tmp_path,
        "network__port": 0,
        "log__json_lines": True,
        "dispatch__tick_seconds": 0.05,
        "security__secret_key": "test-secret-key-not-for-production",
        "security": LOOPBACK_SECURITY,  # every client is 127.0.0.1 (tests/support/limits.py)
    }
    values.update(overrides)
    settings = load_settings(**values)
    app = create_app(settings, clock=clock)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    try:
        await runner.setup()
    except BaseException:
        await runner.cleanup()  # stops the components that did start
        raise
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    running = LiveServer(f"http://127.0.0.1:{port}", app, settings, runner)
    try:
        yield running
    finally:
        await running.stop()


@dataclass
class Client:
    """A python-socketio client that records every event it receives, and can await one."""

    sio: socketio.AsyncClient
    namespace: str
    received: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    _waiters: list[tuple[str, asyncio.Future[Any]]] = field(default_factory=list)
    #: set when the connection is gone (closed by either side)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    def _on_disconnect(self, reason: Any = None) -> None:
        self.disconnected.set()

    def _on_any(self, event: str, data: Any = None) -> None:
        self.received[event].append(data)
        for waiter in list(self._waiters):
            name, future = waiter
            if name == event and not future.done():
                future.set_result(data)
                self._waiters.remove(waiter)

    async def next(self, event: str, timeout: float = 5.0) -> Any:
        """The next `event` received from now on."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((event, future))
        return await asyncio.wait_for(future, timeout)

    async def wait_for(self, event: str, predicate: Any = None, timeout: float = 5.0) -> Any:
        """An `event` already received, or the next one, that satisfies predicate."""
        for data in self.received.get(event, []):
            if predicate is None or predicate(data):
                return data
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {event} matching on {self.namespace}")
            data = await self.next(event, remaining)
            if predicate is None or predicate(data):
                return data

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        return await self.sio.call(event, data if data is not None else {},
                                   namespace=self.namespace, timeout=timeout)

    async def send(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data if data is not None else {}, namespace=self.namespace)

    async def close(self) -> None:
        await self.sio.disconnect()


async def connect(url: str, namespace: str, auth: Any = None,
                  headers: dict[str, str] | None = None, *, ssl_verify: bool = True) -> Client:
    """``ssl_verify=False`` for nginx's https address in tests (a certificate made for the test)."""
    sio = socketio.AsyncClient(reconnection=False, ssl_verify=ssl_verify)
    client = Client(sio, namespace)
    sio.on("*", client._on_any, namespace=namespace)
    sio.on("disconnect", client._on_disconnect, namespace=namespace)
    await sio.connect(url, namespaces=[namespace], transports=["websocket"], auth=auth,
                      headers=headers or {}, wait_timeout=5)
    return client
