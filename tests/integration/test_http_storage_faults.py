"""HTTP answers JSON with a stable code, quickly, when the database is unreachable or hangs.

PostgreSQL is reached through a small loopback TCP proxy (the valve) that this test can make
slow, stop forwarding (a database that hangs) or shut (a database that refuses connections).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from tests.support.live import LiveServer, live_server
from tests.support.postgres import POSTGRES_URL, drop_helpwire_tables, require_postgres

LIMIT = 1.0  # http_database_timeout_seconds in these tests
INGEST_KEY = "ingest-key-for-tests"


class Valve:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL: open, slow, held (hangs) or shut."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.delay = 0.0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def hold(self) -> None:
        """Stop forwarding: connections stay open, nothing arrives (a hanging database)."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def shut(self) -> None:
        """Refuse new connections and cut the open ones (an unreachable database)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._flowing.set()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                await self._flowing.wait()
                if self.delay:
                    await asyncio.sleep(self.delay)  # the simulated latency itself
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            sink.transport.abort()


@pytest.fixture
async def valve() -> AsyncIterator[Valve]:
    await require_postgres()
    await drop_helpwire_tables()  # no rows from an earlier test: the server migrates afresh
    url = make_url(POSTGRES_URL)
    proxy = Valve(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.shut()


@pytest.fixture
async def pg_server(tmp_path: Path, valve: Valve) -> AsyncIterator[LiveServer]:
    through_valve = make_url(POSTGRES_URL).set(host="127.0.0.1", port=valve.port)
    async with live_server(
        tmp_path, storage__database_url=through_valve.render_as_string(hide_password=False),
        storage__http_database_timeout_seconds=LIMIT, ingest_api_keys=[INGEST_KEY],
    ) as running:
        yield running


async def request(server: LiveServer, method: str, path: str, **kwargs: Any
                  ) -> tuple[int, str, Any, float]:
    """(status, content type, JSON body or None, seconds taken)."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as http, http.request(
        method, f"{server.url}{path}", timeout=aiohttp.ClientTimeout(total=LIMIT * 10), **kwargs
    ) as answer:
        body = await answer.json() if answer.content_type == "application/json" else None
        return answer.status, answer.content_type, body, time.monotonic() - started


def login(username: str = "lisa") -> dict[str, Any]:
    return {"json": {"username": username, "password": "password123"}}


#: every HTTP endpoint that reads or writes the database, with a valid request
STORAGE_ENDPOINTS = [
    pytest.param("POST", "/api/agent/login", login(), id="agent-login"),
    pytest.param("POST", "/api/purchases", {
        "json": {"order_id": "o-1", "session_id": "s-1", "store": "lund", "amount": 10.5,
                 "currency": "SEK"},
        "headers": {"Authorization": f"Bearer {INGEST_KEY}"}}, id="purchases"),
    pytest.param("POST", "/api/sessions/exposure",
                 {"json": {"session_id": "s-1", "store": "lund", "variant": "A"}}, id="exposure"),
    pytest.param("POST", "/api/sessions/progress",
                 {"json": {"session_id": "s-1", "store": "lund", "step": "payment"}},
                 id="progress"),
]


def assert_error(status: int, content_type: str, body: Any, expected: tuple[int, str]) -> None:
    assert content_type == "application/json", (status, content_type)
    assert (status, body["error"]["code"]) == expected, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "kwargs"), STORAGE_ENDPOINTS)
async def test_a_hanging_database_answers_503_storage_timeout_at_the_limit(
    pg_server: LiveServer, valve: Valve, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    await pg_server.create_agent("lisa", "Lisa")
    valve.hold()
    status, content_type, body, took = await request(pg_server, method, path, **kwargs)
    assert_error(status, content_type, body, (503, "storage_timeout"))
    assert LIMIT * 0.9 <= took < LIMIT + 1.0, f"answered after {took:.2f} s"
    # when the database answers again, so does the endpoint
    valve.release()
    status, _, body, _ = await request(pg_server, method, path, **kwargs)
    assert status in (200, 201), body


@pytest.mark.postgres
async def test_a_slow_database_within_the_limit_still_signs_the_agent_in(
    pg_server: LiveServer, valve: Valve
) -> None:
    await pg_server.create_agent("lisa", "Lisa")
    valve.delay = LIMIT / 20  # every packet each way: a sign-in takes a few round trips
    status, _, body, took = await request(pg_server, "POST", "/api/agent/login", **login())
    assert status == 200, body
    assert took < LIMIT


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "kwargs"), STORAGE_ENDPOINTS)
async def test_an_unreachable_database_answers_503_storage_unavailable_quickly(
    pg_server: LiveServer, valve: Valve, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    await pg_server.create_agent("lisa", "Lisa")
    await valve.shut()
    status, content_type, body, took = await request(pg_server, method, path, **kwargs)
    assert_error(status, content_type, body, (503, "storage_unavailable"))
    assert took < LIMIT, f"answered after {took:.2f} s"


async def test_agent_login_with_the_database_closed_answers_503_storage_unavailable(
    server: LiveServer,
) -> None:
    await server.create_agent("lisa", "Lisa")
    await server.close_database()
    status, content_type, body, took = await request(server, "POST", "/api/agent/login", **login())
    assert_error(status, content_type, body, (503, "storage_unavailable"))


async def test_an_unexpected_fault_in_a_handler_answers_500_internal_error_as_json(
    server: LiveServer,
) -> None:
    async def broken(username: str) -> None:
        raise RuntimeError("a bug")

    server.services.agents.by_username = broken  # type: ignore[method-assign]
    status, content_type, body, _ = await request(server, "POST", "/api/agent/login", **login())
    assert_error(status, content_type, body, (500, "internal_error"))


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/no-such-page", (404, "not_found")),
    ("GET", "/api/no-such-endpoint", (404, "not_found")),
    ("GET", "/vendor/no-such-file.js", (404, "not_found")),
    ("GET", "/static/no-such-file.js", (404, "not_found")),
    ("DELETE", "/api/agent/login", (405, "method_not_allowed")),
])
async def test_http_errors_of_every_endpoint_are_json_with_a_stable_code(
    server: LiveServer, method: str, path: str, expected: tuple[int, str]
) -> None:
    status, content_type, body, _ = await request(server, method, path)
    assert_error(status, content_type, body, expected)


async def test_a_503_for_the_database_says_when_to_try_again_by_the_setting(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path, storage__retry_after_seconds=7) as running:
        await running.create_agent("lisa", "Lisa")
        await running.close_database()
        async with aiohttp.ClientSession() as http, http.post(
            f"{running.url}/api/agent/login", **login()
        ) as answer:
            body = await answer.json()
            assert (answer.status, body["error"]["code"]) == (503, "storage_unavailable")
            assert answer.headers["Retry-After"] == "7"
