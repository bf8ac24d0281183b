"""Video age check through a real server: camera to the agent only, decision, unlock, signed webhook.

The POS is a small aiohttp server on 127.0.0.1; it checks every delivery with the verification
code exactly as docs/protocol.md prints it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from media_tests.calls import Case, ok, open_case
from media_tests.synthetic import SyntheticVideo
from tests.support.live import LiveServer
from tests.support.pos import documented_verifier, no_image_data, pos_server

CAMERA = 5
SECRET = "pos-shared-secret-for-tests"
CART = {"store": "store-042", "language": "sv", "cart": {"currency": "SEK", "lines": [
    {"sku": "mjolk-1l", "name": "Mellanmjölk", "quantity": 1, "unit_price": 17.9},
    {"sku": "starkol-50", "name": "Starköl 7,5 %", "quantity": 2, "unit_price": 28.5,
     "age_restricted": True},
]}}


async def camera_check(call: Case, by_customer: bool) -> tuple[str, SyntheticVideo, Any]:
    """The age check is asked for, the customer taps once, the agent sees the camera."""
    if by_customer:
        grant = ok(await call.customer.call("age_check_request", {"sku": "starkol-50"}))["grant"]
    else:
        grant = ok(await call.agent.call("consent_request", {
            "case_id": call.case_id, "scope": "age_check_video", "sku": "starkol-50"}))["grant"]
    grant_id = grant["grant_id"]
    prompt = await call.customer.wait_for("consent_prompt", lambda p: p["grant_id"] == grant_id)
    assert "Vi använder video/röst bara för att hjälpa i stunden." in prompt["text"]["sv"]
    assert prompt["sku"] == "starkol-50" and prompt["seconds"] == 180
    ok(await call.customer.call("consent_answer", {"grant_id": grant_id, "approve": True}))
    await call.agent.wait_for("consent_state",
                              lambda p: p["grant_id"] == grant_id and p["state"] == "granted")
    customer, agent = call.customer_peer(), call.agent_peer()
    camera = SyntheticVideo(CAMERA)
    customer.send(camera, label="age_check_video")
    agent.receive_only("video", label="age_check_video")
    await asyncio.gather(customer.negotiate(), agent.negotiate())
    await asyncio.gather(customer.wait_connected(), agent.wait_connected())
    await agent.wait_video(10)
    assert agent.received.senders() == {CAMERA}
    assert CAMERA not in customer.received.senders()
    return grant_id, camera, agent


async def test_an_approved_check_unlocks_the_item_and_signs_a_webhook_that_the_pos_verifies(
    media_server: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    verify = documented_verifier()
    async with pos_server(fail_first=1) as pos, media_server(
        consent__pos_webhook_url=pos.url, consent__pos_webhook_secret=SECRET, outbox__backoff_seconds=0.2,
    ) as server:
        call = await open_case(server, "lisa", context=CART)
        try:
            grant_id, camera, agent = await camera_check(call, by_customer=True)
            result = ok(await call.agent.call("age_check_decision", {
                "case_id": call.case_id, "grant_id": grant_id, "outcome": "approved"}))["result"]
            delivery = result.pop("delivery")
            assert result == {"case_id": call.case_id, "grant_id": grant_id, "sku": "starkol-50",
                              "outcome": "approved"}
            assert delivery["status"] == "pending" and delivery["attempts"] == 0
            unlocked = await call.customer.wait_for("item_unlocked")
            assert unlocked == {"case_id": call.case_id, "sku": "starkol-50"}
            ended = await call.agent.wait_for("consent_ended", lambda p: p["grant_id"] == grant_id)
            assert ended["reason"] == "ended_by_agent"

            # the first attempt got 503; the retry arrives, signed afresh, same delivery id
            await asyncio.wait_for(pos.arrived.wait(), 5)
            (h1, b1), (headers, body) = pos.deliveries
            assert h1["X-Helpwire-Delivery"] == headers["X-Helpwire-Delivery"] and b1 == body
            assert headers["X-Helpwire-Delivery"] == delivery["delivery_id"]
            status = await call.agent.wait_for("webhook_status", lambda s: s["status"] == "delivered")
            assert status["attempts"] == 2
            payload = json.loads(body)
            assert payload["event"] == "item_unlocked" and payload["sku"] == "starkol-50"
            assert payload["case_id"] == call.case_id and payload["method"] == "video"
            seen: set[str] = set()
            assert verify(SECRET, headers, body, seen)
            # the same request again (a replay inside the window) is refused by its delivery id
            assert not verify(SECRET, headers, body, seen)
            # replayed later: the timestamp is stale
            assert not verify(SECRET, headers, body, None, now=time.time() + 301)
            # forged: another secret, an altered body, a made-up signature
            assert not verify("another-secret", headers, body)
            assert not verify(SECRET, headers, body.replace(b"starkol-50", b"starkol-51"))
            forged = {**headers, "X-Helpwire-Signature": "sha256=" + "0" * 64}
            assert not verify(SECRET, forged, body)

            # the camera no longer reaches the agent once decided
            count = len(agent.received.video)
            await asyncio.sleep(1.0)
            assert len(agent.received.video) <= count + 2
            assert camera.readyState == "live"

            # stored: the minimum, and nothing image-like anywhere on the case
            await server.flush()
            case = server.services.engine.case(call.case_id)
            [check] = [e for e in case.events if e.kind == "age_check"]
            assert check.detail == {"sku": "starkol-50", "agent": call.agent_id,
                                    "outcome": "approved", "method": "video"}
            row = await server.services.cases.get(call.case_id)
            stored = await server.services.cases.events(call.case_id)
            assert row is not None
            [stored_check] = [e for e in stored if e.get("kind") == "age_check"]
            assert stored_check["detail"] == check.detail
            assert no_image_data(row) and no_image_data(stored)
        finally:
            await call.close()


async def test_a_denied_check_tells_the_customer_kindly_and_unlocks_nothing(
    media_server: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with pos_server() as pos, media_server(
        consent__pos_webhook_url=pos.url, consent__pos_webhook_secret=SECRET,
    ) as server:
        call = await open_case(server, "lisa", context=CART)
        try:
            grant_id, _, _ = await camera_check(call, by_customer=False)
            ok(await call.agent.call("age_check_decision", {
                "case_id": call.case_id, "grant_id": grant_id, "outcome": "denied",
                "reason": "no_id_shown"}))
            result = await call.customer.wait_for("age_check_result")
            assert result["outcome"] == "denied" and "legitimation" in result["text"]["sv"]
            again = await call.agent.call("age_check_decision", {
                "case_id": call.case_id, "grant_id": grant_id, "outcome": "approved"})
            assert again["ok"] is False  # decided once
            await asyncio.sleep(0.5)
            assert "item_unlocked" not in call.customer.received
            assert pos.deliveries == []
            assert server.services.outbox is not None
            assert await server.services.outbox.repository.of_case(call.case_id) == []
            [check] = [e for e in server.services.engine.case(call.case_id).events
                       if e.kind == "age_check"]
            assert check.detail["outcome"] == "denied" and "reason" not in check.detail
        finally:
            await call.close()


async def test_an_age_check_needs_an_age_restricted_line(server: LiveServer) -> None:
    call = await open_case(server, "lisa", context=CART)
    try:
        for sku in ("mjolk-1l", "nothing-like-it"):
            refused = await call.customer.call("age_check_request", {"sku": sku})
            assert refused["ok"] is False and refused["error"]["code"] == "consent_not_allowed"
        # the camera cannot be labelled without a granted check
        refused = await call.customer.call("media_offer", {
            "sdp": "v=0", "type": "offer", "labels": {"0": "age_check_video"}})
        assert refused["ok"] is False and refused["error"]["code"] == "consent_not_allowed"
    finally:
        await call.close()
