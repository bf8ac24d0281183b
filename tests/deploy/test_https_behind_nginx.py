"""The reference nginx configuration in front of a real server: a browser call over https://.

nginx (Debian's /usr/sbin/nginx, as the test user, from a temporary prefix) terminates TLS with a
certificate made for the test and proxies HTTP and the Socket.IO websockets to Helpwire. Through
it, the widget's customer and the console's agent chat, go to voice and to video, and a kiosk
shares its screen: the same browser scenarios as tests/browser, on https:// (where browsers allow
camera, microphone and screen capture on a real host).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext

from tests.browser import test_consent, test_media_calls
from tests.support.live import LiveServer, live_server
from tests.support.nginx import INSTALL_HINT, NGINX, Nginx, nginx_in_front_of

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path / "server", media__host_addresses=["127.0.0.1"]) as running:
        yield running


@pytest.fixture
async def proxy(server: LiveServer, tmp_path: Path) -> AsyncIterator[Nginx]:
    if not NGINX.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    async with nginx_in_front_of(urlsplit(server.url).netloc, tmp_path / "nginx") as running:
        yield running


def through(server: LiveServer, proxy: Nginx) -> LiveServer:
    """The same server, as the browsers reach it: at nginx's https:// address."""
    return LiveServer(proxy.url, server.app, server.settings)


async def test_chat_voice_and_video_work_over_https_through_nginx(
        server: LiveServer, proxy: Nginx, browser: Browser, contexts: list[BrowserContext]) -> None:
    await test_media_calls.test_chat_goes_to_voice_then_video_and_back_to_chat_in_one_case(
        through(server, proxy), browser, contexts)
    # the sockets went through nginx as websockets (101 Switching Protocols); nginx logs a
    # websocket when it closes, so the pages are closed first
    for context in contexts:
        await context.close()
    contexts.clear()
    upgraded = await proxy.wait_logged(r'"GET /socket\.io/\?[^"]*transport=websocket[^"]*" 101 ', 2)
    assert len(upgraded) >= 2, upgraded


async def test_a_kiosk_shares_its_screen_over_https_through_nginx(
        server: LiveServer, proxy: Nginx, browser: Browser, contexts: list[BrowserContext]) -> None:
    await test_consent.test_one_tap_shares_the_kiosk_screen_with_a_countdown_and_stop_sharing_ends_it(
        through(server, proxy), browser, contexts)


async def test_nginx_caches_the_widget_and_forwards_the_client_address(
        server: LiveServer, proxy: Nginx) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
        statuses = []
        for _ in range(2):
            async with http.get(f"{proxy.url}/static/widget/helpwire.js") as response:
                assert response.status == 200
                assert response.headers["Cache-Control"] == "public, max-age=3600"
                statuses.append(response.headers["X-Cache-Status"])
        assert statuses == ["MISS", "HIT"]
        async with http.get(f"{proxy.url}/healthz",
                            headers={"X-Forwarded-For": "203.0.113.9"}) as response:
            assert response.status == 200
