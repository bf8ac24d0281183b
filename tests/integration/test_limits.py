"""Every input limit, exactly at the limit (accepted) and one past it (refused, clearly)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.live import LiveServer

from .helpers import (
    active_case,
    agent,
    context,
    customer,
    ok,
    press_help,
    refused_with_event,
)


def event_bytes(payload: Any) -> int:
    """The size the server measures: compact JSON, UTF-8."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def chat_of_size(size: int) -> dict[str, str]:
    """A chat_send payload of exactly `size` bytes (with two-byte letters in it)."""
    payload = {"text": "å"}
    payload["text"] += "a" * (size - event_bytes(payload))
    assert event_bytes(payload) == size
    return payload


def cart(lines: int) -> dict[str, Any]:
    return {"lines": [{"sku": f"sku-{n}", "name": f"Vara {n}", "quantity": 1, "unit_price": 9.9}
                      for n in range(lines)], "currency": "SEK"}


async def test_max_event_bytes(server_factory: Any) -> None:
    async with server_factory(limits__max_event_bytes=2048, limits__max_chat_chars=5000) as server:
        await agent(server, "omar", "Omar", available=False)
        shopper = await customer(server)
        await press_help(shopper)
        ok(await shopper.call("chat_send", chat_of_size(2048)))
        error = await refused_with_event(shopper, "chat_send", chat_of_size(2049),
                                         "payload_too_large")
        assert error["message"] == (
            "the payload is 2049 bytes; the limit is 2048 bytes (setting limits.max_event_bytes)"
        )
        ok(await shopper.call("chat_send", chat_of_size(100)))


async def test_max_chat_chars_for_customer_and_agent(server: LiveServer) -> None:
    limit = server.settings.limits.max_chat_chars
    assert limit == 2000
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)

    sent = ok(await shopper.call("chat_send", {"text": "ö" * limit}))["message"]
    assert len(sent["text"]) == limit
    error = await refused_with_event(shopper, "chat_send", {"text": "ö" * (limit + 1)},
                                     "invalid_payload")
    assert "2001" in error["message"] and "max_chat_chars" in error["message"]

    ok(await lisa.call("chat_send", {"case_id": case_id, "text": "x" * limit}))
    error = await refused_with_event(lisa.client, "chat_send",
                                     {"case_id": case_id, "text": "x" * (limit + 1)},
                                     "invalid_payload")
    assert "max_chat_chars" in error["message"]
    # the refused messages never reached the other side
    assert all(len(m["text"]) <= limit for m in lisa.client.received["chat_message"])
    assert all(len(m["text"]) <= limit for m in shopper.received["chat_message"])


async def test_max_feedback_chars(server: LiveServer) -> None:
    limit = server.settings.limits.max_feedback_chars
    assert limit == 500
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)
    ok(await lisa.call("conversation_end", {"case_id": case_id}))
    await shopper.wait_for("wrap_up")

    error = await refused_with_event(shopper, "feedback", {"rating": 3, "text": "y" * (limit + 1)},
                                     "invalid_payload")
    assert "501" in error["message"] and "max_feedback_chars" in error["message"]
    ok(await shopper.call("feedback", {"rating": 3, "text": "y" * limit}))
    assert server.services.engine.case(case_id).feedback_text == "y" * limit


async def test_max_cart_lines(server: LiveServer) -> None:
    limit = server.settings.limits.max_cart_lines
    assert limit == 100
    await agent(server, "omar", "Omar", available=False)
    shopper = await customer(server)
    error = await refused_with_event(shopper, "help_request",
                                     {"context": context(cart=cart(limit + 1))}, "invalid_payload")
    assert "101" in error["message"] and "max_cart_lines" in error["message"]
    helped = await press_help(shopper, context(cart=cart(limit)))
    assert len(server.services.engine.case(helped["case_id"]).context["cart"]["lines"]) == limit


async def test_max_json_depth(server_factory: Any) -> None:
    # at depth 5 a Help press with a cart is exactly at the limit:
    # payload → context → cart → lines → line
    async with server_factory(limits__max_json_depth=5) as server:
        await agent(server, "omar", "Omar", available=False)
        shopper = await customer(server)
        too_deep = cart(1)
        too_deep["lines"][0]["name"] = ["a list is one level more"]
        error = await refused_with_event(shopper, "help_request",
                                         {"context": context(cart=too_deep)}, "payload_too_deep")
        assert error["message"] == "the payload nests deeper than 5 levels; flatten it"
        await press_help(shopper, context(cart=cart(1)))


async def test_max_queue_length(server_factory: Any) -> None:
    async with server_factory(dispatch__max_queue_length=1) as server:
        await agent(server, "omar", "Omar", available=False)
        first = await customer(server)
        helped = await press_help(first)
        assert helped["case"]["state"] == "queued"

        second = await customer(server)
        error = await refused_with_event(second, "help_request", {"context": context()},
                                         "queue_full")
        assert "general" in error["message"]
        # another queue is not full
        other = await press_help(second, context(language="en"))
        assert other["case"]["queue"] == "english"
        # and a place frees up when the first customer gives up
        ok(await first.call("cancel", {}))
        third = await customer(server)
        assert (await press_help(third))["case"]["queue"] == "general"
