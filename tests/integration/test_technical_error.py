"""When nobody can answer: the technical-error path, the held cart, and the callback offer."""

from __future__ import annotations

from typing import Any

from server.core.clock import ManualClock
from tests.support.live import LiveServer

from .helpers import PAYMENT_CONTEXT, agent, context, customer, ok, press_help


async def test_with_no_agent_online_the_customer_is_promised_a_callback_and_the_cart_is_held(
    server: LiveServer,
) -> None:
    shopper = await customer(server)
    ctx = context(PAYMENT_CONTEXT)
    helped = await press_help(shopper, ctx)
    case_id = helped["case_id"]
    assert helped["case"]["state"] == "callback_requested"
    error = await shopper.wait_for("technical_error")
    assert error == {"case_id": case_id, "reason": "no_service", "cart_hold_seconds": 300}

    await server.flush()
    row = await server.services.cases.get(case_id)
    assert row is not None and row["state"] == "callback_requested"
    callback = await server.services.cases.get_callback(case_id)
    assert callback is not None
    assert callback["reason"] == "no_service"
    assert callback["cart_snapshot"] == ctx["cart"]
    assert callback["cart_expires_at"] == callback["requested_at"] + 300
    # the customer is not left with a socket that still thinks it is waiting
    refused = await shopper.call("chat_send", {"text": "hallå?"})
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_transition"


async def test_a_held_cart_is_dropped_once_the_hold_time_is_over(server_factory: Any) -> None:
    clock = ManualClock()
    async with server_factory(clock=clock) as server:
        shopper = await customer(server)
        ctx = context(PAYMENT_CONTEXT)
        case_id = (await press_help(shopper, ctx))["case_id"]
        await shopper.wait_for("technical_error")
        await server.flush()
        cases = server.services.cases
        callback = await cases.get_callback(case_id)
        assert callback is not None
        assert callback["requested_at"] == clock.now()
        expires = callback["cart_expires_at"]
        assert expires == clock.now() + 300

        # one second before the hold time is over, the cart is kept
        assert await cases.purge_expired_carts(expires - 1) == 0
        assert (await cases.get_callback(case_id) or {})["cart_snapshot"] == ctx["cart"]

        # the hub's housekeeping drops it once the five minutes are over (at the limit)
        clock.advance(300)
        await server.services.hub.housekeeping()
        dropped = await cases.get_callback(case_id)
        assert dropped is not None and dropped["cart_snapshot"] is None
        # the callback request itself stays: someone still has to call back
        assert (dropped["reason"], dropped["cart_expires_at"]) == ("no_service", expires)
        # and nothing is left to drop one second later
        assert await cases.purge_expired_carts(expires + 1) == 0


async def test_a_callback_is_offered_when_the_promise_is_at_risk_and_can_be_accepted(
    server_factory: Any,
) -> None:
    async with server_factory(dispatch__promise_seconds=1) as server:
        omar = await agent(server, "omar", "Omar", available=False)
        shopper = await customer(server)
        helped = await press_help(shopper)
        case_id = helped["case_id"]
        assert helped["case"]["state"] == "queued"
        assert helped["case"]["promise_seconds"] == 1

        offer = await shopper.wait_for("callback_offer", timeout=3)
        assert offer == {"case_id": case_id, "reason": "promise_at_risk"}
        accepted = ok(await shopper.call("callback_request", {"contact": "070-123 45 67"}))
        assert accepted["case"]["state"] == "callback_requested"
        confirmed = await shopper.wait_for("callback_confirmed")
        assert confirmed == {"case_id": case_id, "cart_hold_seconds": 300}

        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None and row["state"] == "callback_requested"
        callback = await server.services.cases.get_callback(case_id)
        assert callback is not None
        assert (callback["reason"], callback["contact"]) == ("customer_asked", "070-123 45 67")
        events = await server.services.cases.events(case_id)
        assert [e["kind"] for e in events if e["kind"] != "transition"] == ["callback_offered"]
        # the away agent was never rung
        ok(await omar.call("queues_get", {}))
        assert omar.client.received.get("offer", []) == []
