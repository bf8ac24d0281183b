"""POST /api/purchases (Bearer key, idempotent), POST /api/sessions/exposure and /progress, the A/B
assignment."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp

from server.core.abtest import assign
from server.core.kpi import compute
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


async def get_json(url: str, **params: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, params=params) as resp:
        return resp.status, await resp.json()


async def test_ab_assignment_endpoint(server_factory: Factory) -> None:
    async with server_factory(ab_test={"enabled": True}) as server:
        url = f"{server.url}/api/ab/assignment"
        ab = server.settings.ab_test
        for visitor in ("v-1", "v-2", "v-3", "v-4"):
            status, body = await get_json(url, visitor=visitor)
            assert status == 200
            assert body == {"visitor": visitor, "variant": assign(visitor, ab.salt, ab.split_b),
                            "enabled": True}
        status, _ = await get_json(url)
        assert status == 400


async def test_ab_test_off_by_default_gives_everyone_b(server: LiveServer) -> None:
    assert server.settings.ab_test.enabled is False
    ab = server.settings.ab_test
    a_visitor = next(f"v-{i}" for i in range(100) if assign(f"v-{i}", ab.salt, ab.split_b) == "A")
    status, body = await get_json(f"{server.url}/api/ab/assignment", visitor=a_visitor)
    assert status == 200
    assert body == {"visitor": a_visitor, "variant": "B", "enabled": False}


async def test_progress_is_logged_once_per_session_and_step(server: LiveServer) -> None:
    url = f"{server.url}/api/sessions/progress"
    status, body = await post(url, {"session_id": "s-9", "store": "s1", "step": "payment"})
    assert status == 201 and body["created"] is True
    assert body["session_id"] == "s-9" and body["step"] == "payment"
    first_at = body["at"]
    status, body = await post(url, {"session_id": "s-9", "store": "s1", "step": "payment"})
    assert status == 200 and body == {"session_id": "s-9", "step": "payment", "at": first_at,
                                      "created": False}
    stored = await server.services.analytics.progress("s-9", "payment")
    assert stored == {"session_id": "s-9", "step": "payment", "store": "s1", "at": first_at}
    for bad in ({"session_id": "s-9", "store": "s1", "step": "cart"},
                {"session_id": "s 9", "store": "s1", "step": "payment"},
                {"session_id": "s-9", "store": "s1", "step": "payment", "extra": 1},
                {"session_id": "s-9", "step": "payment"}):
        status, body = await post(url, bad)
        assert status == 400 and body["error"]["code"] == "invalid_payload", bad


async def test_payment_step_abandonment_reaches_the_dataset(server_factory: Factory) -> None:
    async with server_factory(ingest_api_keys=[KEY]) as server:
        base = server.url
        for session, variant in (("pa", "A"), ("pb", "B"), ("pc", "B")):
            await post(f"{base}/api/sessions/exposure",
                       {"session_id": session, "store": "s1", "variant": variant})
            await post(f"{base}/api/sessions/progress",
                       {"session_id": session, "store": "s1", "step": "payment"})
        status, _ = await post(f"{base}/api/purchases",
                               {**PURCHASE, "session_id": "pb", "at": None}, key=KEY)
        assert status == 201
        now = server.services.engine.clock.now()
        data = await server.services.analytics.dataset(now - 3600, now + 3600)
        assert {(p.session_id, p.step) for p in data.progress} == {
            ("pa", "payment"), ("pb", "payment"), ("pc", "payment")}
        kpis = compute([], data.purchases, data.exposures, progress=data.progress)
        assert (kpis.sessions_reached_payment, kpis.payment_abandoned) == (3, 2)
