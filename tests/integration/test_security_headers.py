"""Security headers on every HTTP answer: pages, static files, JSON and errors."""

from __future__ import annotations

import aiohttp
import pytest

from tests.support.live import LiveServer


@pytest.mark.parametrize("path", ["/", "/kiosk", "/agent", "/supervisor", "/admin", "/healthz",
                                  "/static/widget/helpwire.js", "/no-such-page"])
async def test_every_answer_forbids_sniffing_and_limits_the_referrer(
    server: LiveServer, path: str
) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(("path", "ancestors"), [
    ("/", "'self'"), ("/kiosk", "'self'"), ("/agent", "'none'"), ("/supervisor", "'none'"),
    ("/admin", "'none'"),
])
async def test_pages_carry_a_policy_without_inline_script(
    server: LiveServer, path: str, ancestors: str
) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == ancestors
        html = await response.text()
    assert "<script>" not in html and "<style" not in html and " style=" not in html


async def test_the_console_and_supervisor_view_cannot_be_framed_by_old_browsers(
    server: LiveServer,
) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/agent", "/supervisor", "/admin"):
            async with http.get(server.url + path) as response:
                assert response.headers["X-Frame-Options"] == "DENY"
        async with http.get(server.url + "/") as response:
            assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/static/widget/helpwire.js", "/static/widget/chunks/socket.js",
                                  "/static/widget/chunks/call.js"])
async def test_the_widgets_files_may_be_imported_from_any_shop_origin(server: LiveServer, path: str) -> None:
    """Its chunks are ES modules, fetched in CORS mode by a shop's page on another origin."""
    headers = {"Origin": "https://shop.example.se"}
    async with aiohttp.ClientSession() as http, http.get(server.url + path, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_other_static_files_carry_no_cors_header(server: LiveServer) -> None:
    headers = {"Origin": "https://shop.example.se"}
    async with aiohttp.ClientSession() as http, \
            http.get(server.url + "/static/shop/shop.js", headers=headers) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers
