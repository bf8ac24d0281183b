"""The widget's HTTP endpoints answer shop domains listed in cors_allowed_origins, and only those."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import aiohttp
import pytest

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
    async with server_factory(cors_allowed_origins=[SHOP]) as server, aiohttp.ClientSession() as http:
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
    async with server_factory(cors_allowed_origins=[SHOP]) as server, aiohttp.ClientSession() as http:
        async with http.options(f"{server.url}/api/sessions/exposure", headers={
            "Origin": ELSEWHERE, "Access-Control-Request-Method": "POST",
        }) as preflight:
            assert preflight.status == 403
            assert "Access-Control-Allow-Origin" not in preflight.headers
        async with http.get(f"{server.url}/api/widget/status?store=s1",
                            headers={"Origin": ELSEWHERE}) as answer:
            assert "Access-Control-Allow-Origin" not in answer.headers


async def test_agent_endpoints_never_answer_other_origins(server_factory: Factory) -> None:
    async with server_factory(cors_allowed_origins=[SHOP]) as server, aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/agent/login", headers={"Origin": SHOP},
                             json={"username": "x", "password": "y"}) as answer:
            assert "Access-Control-Allow-Origin" not in answer.headers
