"""The widget's HTTP endpoints and Socket.IO answer the server's own origin and the shop domains
listed in cors_allowed_origins, and only those; a refused origin reads a diagnostic naming the
setting."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import aiohttp
import pytest
import socketio

from tests.support.live import LiveServer

SHOP = "https://shop.example.se"
ELSEWHERE = "https://evil.example"
WIDGET_CALLS = [
    ("GET", "/api/widget/status?store=s1&page=%2F&channel=web"),
    ("GET", "/api/ab/assignment?visitor=0123456789abcdef0123456789abcdef"),
    ("POST", "/api/sessions/exposure"),
    ("POST", "/api/sessions/progress"),
]

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


@pytest.mark.parametrize(("method", "path"), WIDGET_CALLS)
async def test_a_listed_shop_origin_passes_the_preflight_and_reads_the_answer(
    server_factory: Factory, method: str, path: str
) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        async with http.options(f"{server.url}{path}", headers={
            "Origin": SHOP, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        }) as preflight:
            assert preflight.status == 204
            assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
            assert method in preflight.headers["Access-Control-Allow-Methods"]
        body = {"session_id": "sess-1", "store": "s1", "variant": "B", "step": "payment"}
        if path.endswith("exposure"):
            body.pop("step")
        if path.endswith("progress"):
            body.pop("variant")
        async with http.request(method, f"{server.url}{path}", headers={"Origin": SHOP},
                                json=body if method == "POST" else None) as answer:
            assert answer.status < 400, await answer.text()
            assert answer.headers["Access-Control-Allow-Origin"] == SHOP


async def test_an_unlisted_origin_is_refused_at_the_preflight_and_gets_no_cors_header(
    server_factory: Factory,
) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        async with http.options(f"{server.url}/api/sessions/exposure", headers={
            "Origin": ELSEWHERE, "Access-Control-Request-Method": "POST",
        }) as preflight:
            assert preflight.status == 403
            assert "Access-Control-Allow-Origin" not in preflight.headers
        async with http.get(f"{server.url}/api/ab/assignment?visitor=0123456789abcdef0123456789abcdef",
                            headers={"Origin": ELSEWHERE}) as answer:
            assert "Access-Control-Allow-Origin" not in answer.headers


async def test_an_unlisted_origin_reads_the_diagnostic_naming_the_setting_and_nothing_else(
    server_factory: Factory,
) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/widget/status?store=s1&page=%2F&channel=web",
                            headers={"Origin": ELSEWHERE}) as answer:
            body = await answer.json()
            assert answer.status == 403
            # readable by the refused page, so the widget can tell the shop owner
            assert answer.headers["Access-Control-Allow-Origin"] == ELSEWHERE
            assert answer.headers["Cache-Control"] == "no-store"
        assert set(body) == {"error"}  # no verdict, no availability: only the refusal
        assert body["error"]["code"] == "origin_not_allowed"
        assert body["error"]["setting"] == "network.cors_allowed_origins"
        assert body["error"]["origin"] == ELSEWHERE
        assert "cors_allowed_origins" in body["error"]["message"]
        assert ELSEWHERE in body["error"]["message"]


async def test_the_servers_own_origin_is_allowed_although_a_shop_is_listed(server_factory: Factory) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        own = server.url  # http://127.0.0.1:<port>, what its own pages send as Origin
        async with http.get(f"{server.url}/api/widget/status?store=s1&page=%2F&channel=web",
                            headers={"Origin": own}) as answer:
            assert answer.status == 200, await answer.text()
            assert answer.headers["Access-Control-Allow-Origin"] == own
        sio = socketio.AsyncClient(reconnection=False)
        try:
            await sio.connect(server.url, namespaces=["/customer"], headers={"Origin": own},
                              transports=["websocket"], wait_timeout=5)
            assert sio.connected
        finally:
            await sio.disconnect()


async def test_behind_a_proxy_the_forwarded_origin_is_the_servers_own(server_factory: Factory) -> None:
    public = "https://help.example.se"
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/widget/status?store=s1&page=%2F&channel=web", headers={
            "Origin": public, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "help.example.se",
        }) as answer:
            assert answer.status == 200, await answer.text()


@pytest.mark.parametrize(("origin", "allowed"), [(SHOP, True), (ELSEWHERE, False)])
async def test_socketio_takes_a_listed_origin_and_refuses_an_unlisted_one(
    server_factory: Factory, origin: str, allowed: bool,
) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server:
        sio = socketio.AsyncClient(reconnection=False)
        try:
            if allowed:
                await sio.connect(server.url, namespaces=["/customer"], headers={"Origin": origin},
                                  transports=["websocket"], wait_timeout=5)
                assert sio.connected
            else:
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await sio.connect(server.url, namespaces=["/customer"], headers={"Origin": origin},
                                      transports=["websocket"], wait_timeout=5)
        finally:
            await sio.disconnect()


async def test_a_star_in_the_list_allows_every_origin(server_factory: Factory) -> None:
    async with server_factory(network__cors_allowed_origins=["*"]) as server, aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/widget/status?store=s1&page=%2F&channel=web",
                            headers={"Origin": ELSEWHERE}) as answer:
            assert answer.status == 200
            assert answer.headers["Access-Control-Allow-Origin"] == ELSEWHERE


async def test_agent_endpoints_never_answer_other_origins(server_factory: Factory) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP]) as server, \
            aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/agent/login", headers={"Origin": SHOP},
                             json={"username": "x", "password": "y"}) as answer:
            assert "Access-Control-Allow-Origin" not in answer.headers


async def test_the_preflight_may_be_cached_as_long_as_the_setting_says(server_factory: Factory) -> None:
    async with server_factory(network__cors_allowed_origins=[SHOP],
                              network__preflight_max_age_seconds=120) as server, \
            aiohttp.ClientSession() as http:
        async with http.options(f"{server.url}/api/widget/status", headers={
            "Origin": SHOP, "Access-Control-Request-Method": "GET",
        }) as preflight:
            assert preflight.status == 204
            assert preflight.headers["Access-Control-Max-Age"] == "120"
