"""POST /api/purchases (Bearer key, idempotent), POST /api/sessions/exposure, the A/B assignment."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp

from server.core.abtest import assign
from tests.support.live import LiveServer

KEY = "pos-key-0123456789"
Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def post(url: str, body: Any, key: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


PURCHASE = {"order_id": "o-1", "session_id": "sess-1", "store": "s1", "amount": 142.5,
            "currency": "SEK", "at": 1_800_000_000.0}


async def test_purchases_need_a_key(server_factory: Factory) -> None:
    async with server_factory(ingest_api_keys=[KEY]) as server:
        url = f"{server.url}/api/purchases"
        status, body = await post(url, PURCHASE)
        assert status == 401 and body["error"]["code"] == "not_authorised"
        status, body = await post(url, PURCHASE, key="wrong")
        assert status == 401 and body["error"]["code"] == "not_authorised"
        assert await server.services.analytics.purchase("o-1") is None


async def test_no_key_configured_refuses_everyone(server: LiveServer) -> None:
    status, body = await post(f"{server.url}/api/purchases", PURCHASE, key="anything")
    assert status == 401 and body["error"]["code"] == "not_authorised"
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/api/demo/ingest-key") as r:
        assert (await r.json()) == {"key": None}


async def test_purchase_is_stored_once_per_order(server_factory: Factory) -> None:
    async with server_factory(ingest_api_keys=["other", KEY]) as server:
        url = f"{server.url}/api/purchases"
        status, body = await post(url, PURCHASE, key=KEY)
        assert status == 201 and body == {"order_id": "o-1", "created": True, "at": 1_800_000_000.0}
        status, body = await post(url, PURCHASE, key=KEY)
        assert status == 200 and body["created"] is False
        status, body = await post(url, {**PURCHASE, "amount": 1.0}, key=KEY)
        assert status == 409 and body["error"]["code"] == "order_conflict"
        stored = await server.services.analytics.purchase("o-1")
        assert stored is not None and stored["amount"] == 142.5 and stored["session_id"] == "sess-1"
        # without `at` the server's clock is used
        status, body = await post(url, {**PURCHASE, "order_id": "o-2", "at": None}, key=KEY)
        assert status == 201 and body["at"] > 1_000_000_000
        status, body = await post(url, {**PURCHASE, "order_id": "o 3", "amount": -1}, key=KEY)
        assert status == 400 and body["error"]["code"] == "invalid_payload"


async def test_demo_mode_hands_the_shop_a_process_key(server_factory: Factory) -> None:
    async with server_factory(demo=True) as server:
        async with aiohttp.ClientSession() as http, \
                http.get(f"{server.url}/api/demo/ingest-key") as response:
            key = (await response.json())["key"]
        assert key.startswith("demo-")
        status, _ = await post(f"{server.url}/api/purchases", PURCHASE, key=key)
        assert status == 201


async def test_exposure_is_logged_once_per_session(server: LiveServer) -> None:
    url = f"{server.url}/api/sessions/exposure"
    status, body = await post(url, {"session_id": "s-9", "store": "s1", "variant": "B"})
    assert status == 201 and body == {"session_id": "s-9", "variant": "B", "created": True}
    status, body = await post(url, {"session_id": "s-9", "store": "s1", "variant": "A"})
    assert status == 200 and body == {"session_id": "s-9", "variant": "B", "created": False}
    status, body = await post(url, {"session_id": "s-10", "store": "s1", "variant": "C"})
    assert status == 400 and body["error"]["code"] == "invalid_payload"


async def test_ab_assignment_endpoint(server: LiveServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/ab/assignment", params={"visitor": "v-1"}) as r:
            body = await r.json()
        ab = server.settings.ab_test
        assert body == {"visitor": "v-1", "variant": assign("v-1", ab.salt, ab.split_b)}
        async with http.get(f"{server.url}/api/ab/assignment") as r:
            assert r.status == 400
