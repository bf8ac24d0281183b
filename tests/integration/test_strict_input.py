"""Input is taken as the protocol writes it, never coerced: what it refuses is refused, typed.

Every test runs beside a live bystander case (the `world` of test_bad_input) and checks after the
bad input that the server still answers and that case still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.live import Client, LiveServer, connect

from .helpers import (
    AGENT_NS,
    PAYMENT_CONTEXT,
    active_case,
    agent,
    context,
    customer,
    ok,
    press_help,
    refused,
    refused_with_event,
)
from .test_bad_input import World


@pytest.fixture
async def world(server: LiveServer) -> AsyncIterator[World]:
    lisa = await agent(server, "lisa", "Lisa")
    bystander, case_id, _ = await active_case(server, lisa)
    world = World(server, bystander, lisa, case_id)
    await world.still_fine()
    yield world


async def call_with(client: Client, event: str, *args: Any) -> Any:
    """Call `event` with exactly these arguments (a tuple is sent as they are: null stays null)."""
    return await client.sio.call(event, tuple(args), namespace=client.namespace, timeout=5)


def cart_line(**changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": "k1", "name": "Kaffe", "quantity": 1, "unit_price": 10.0}
    line.update(changes)
    return {"context": context(cart={"lines": [line]})}


def fields(error: dict[str, Any]) -> list[str]:
    return [f["field"] for f in error["fields"]]


@pytest.mark.parametrize(("payload", "field"), [
    (cart_line(unit_price="10"), "context.cart.lines.0.unit_price"),
    (cart_line(quantity=True), "context.cart.lines.0.quantity"),
    (cart_line(quantity=2.0), "context.cart.lines.0.quantity"),
    (cart_line(age_restricted="yes"), "context.cart.lines.0.age_restricted"),
    (cart_line(age_restricted=1), "context.cart.lines.0.age_restricted"),
    ({"context": context(battery=True)}, "context.battery"),
    ({"context": context(battery="37")}, "context.battery"),
    ({"context": context(logged_in="yes")}, "context.logged_in"),
    ({"context": context(offline_mode=0)}, "context.offline_mode"),
    ({"context": context(cart={"lines": [], "currency": "ZZZ"})}, "context.cart.currency"),
])
async def test_help_request_values_are_not_coerced(world: World, payload: dict[str, Any],
                                                   field: str) -> None:
    shopper = await customer(world.server)
    error = await refused_with_event(shopper, "help_request", payload, "invalid_payload")
    assert fields(error) == [field]
    assert error["event"] == "help_request"


async def test_a_real_iso_4217_currency_and_an_integer_price_are_accepted(world: World) -> None:
    shopper = await customer(world.server)
    ack = await press_help(shopper, context(cart={"lines": [
        {"sku": "k1", "name": "Kaffe", "quantity": 2, "unit_price": 10}], "currency": "EUR"}))
    assert ack["case_id"]
    await world.still_fine()


async def test_feedback_rating_and_typing_flag_are_not_coerced(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "feedback", {"rating": True}, "invalid_payload")
    assert fields(error) == ["rating"]
    error = await refused_with_event(shopper, "feedback", {"rating": "5"}, "invalid_payload")
    assert fields(error) == ["rating"]
    error = await refused_with_event(shopper, "typing", {"active": "yes"}, "invalid_payload")
    assert fields(error) == ["active"]
    error = await refused_with_event(shopper, "typing", {"active": 1}, "invalid_payload")
    assert fields(error) == ["active"]
    await world.still_fine()


async def test_a_null_payload_is_refused_and_cancel_with_null_cancels_nothing(world: World) -> None:
    shopper = await customer(world.server)
    case = await press_help(shopper)
    error = refused(await call_with(shopper, "cancel", None), "invalid_payload")
    assert error["event"] == "cancel"
    assert fields(error) == ["(payload)"]
    assert "null" in error["fields"][0]["problem"]
    view = world.server.services.engine.customer_view(case["case_id"])
    assert view["state"] in ("queued", "offered")
    # no payload at all is still {}
    ok(await call_with(shopper, "cancel"))
    await world.still_fine()


@pytest.mark.parametrize("payload", [[], "help", 3, True])
async def test_a_payload_that_is_not_an_object_is_refused(world: World, payload: Any) -> None:
    shopper = await customer(world.server)
    error = refused(await call_with(shopper, "cancel", payload), "invalid_payload")
    assert fields(error) == ["(payload)"]


async def test_binary_data_is_refused_naming_the_field(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "chat_send", {"text": b"\x00\x01binary"},
                                     "invalid_payload")
    assert fields(error) == ["text"]
    assert "binary" in error["fields"][0]["problem"]
    error = refused(await call_with(shopper, "help_request",
                                    {"context": context(page=b"x")}), "invalid_payload")
    assert fields(error) == ["context.page"]
    # a binary payload instead of an object
    error = refused(await call_with(shopper, "typing", b"\xff"), "invalid_payload")
    assert fields(error) == ["(payload)"]
    await world.still_fine()


async def test_lone_surrogates_are_refused_naming_the_field(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "chat_send", {"text": "hej \ud800"}, "invalid_payload")
    assert fields(error) == ["text"]
    assert "surrogate" in error["fields"][0]["problem"]
    error = refused(await shopper.call("chat_send", {"text": "x", "\udfff": 1}), "invalid_payload")
    assert fields(error) == ["(payload)"]
    error = refused(await shopper.call("help_request", {"context": context(PAYMENT_CONTEXT,
                    store="\udc00store")}), "invalid_payload")
    assert fields(error) == ["context.store"]
    assert world.server.services.engine.cases  # and nothing crashed
    await world.still_fine()


async def test_nan_and_infinity_are_refused(world: World) -> None:
    shopper = await customer(world.server)
    # python-socketio's encoder writes NaN (not JSON); the server decodes it and refuses it
    error = refused(await shopper.call("help_request", cart_line(unit_price=float("nan"))),
                    "invalid_payload")
    assert fields(error) == ["context.cart.lines.0.unit_price"]
    error = refused(await shopper.call("help_request", cart_line(unit_price=float("inf"))),
                    "invalid_payload")
    assert fields(error) == ["context.cart.lines.0.unit_price"]


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\r"])
async def test_control_characters_are_refused_in_chat_text(world: World, bad: str) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "chat_send", {"text": f"hej{bad}då"},
                                     "invalid_payload")
    assert fields(error) == ["text"]
    assert f"U+{ord(bad[0]):04X}" in error["fields"][0]["problem"]


async def test_chat_text_keeps_line_breaks_and_tabs(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    message = ok(await shopper.call("chat_send", {"text": "rad ett\nrad\ttvå"}))["message"]
    assert message["text"] == "rad ett\nrad\ttvå"


@pytest.mark.parametrize(("event", "payload", "field"), [
    ("chat_send", {"text": "hej", "client_id": "a\x00b"}, "client_id"),
    ("chat_send", {"text": "hej", "client_id": "a\nb"}, "client_id"),
    ("chat_received", {"message_id": "m\x00"}, "message_id"),
    ("callback_request", {"contact": "070\t123"}, "contact"),
    ("resume", {"case_token": "t\x00"}, "case_token"),
    ("help_request", {"context": context(page="/a\x00b")}, "context.page"),
    ("help_request", {"context": context(store="a\x00b")}, "context.store"),
    ("media_candidate", {"candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host\x00"}, "candidate"),
])
async def test_control_characters_are_refused_in_ids_and_single_lines(
    world: World, event: str, payload: dict[str, Any], field: str,
) -> None:
    shopper = await customer(world.server)
    error = await refused_with_event(shopper, event, payload, "invalid_payload")
    assert fields(error) == [field]


async def test_an_sdp_keeps_its_crlf_but_not_other_control_characters(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "media_offer",
                                     {"sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\x00\r\n", "type": "offer"},
                                     "invalid_payload")
    assert fields(error) == ["sdp"]
    # CRLF passes the schema: refused by the call policy (no call agreed), not as invalid
    error = await refused_with_event(shopper, "media_offer", {"sdp": "v=0\r\n", "type": "offer"},
                                     "media_not_allowed")
    await world.still_fine()


@pytest.mark.parametrize("name", ["connect", "disconnect", "connect_error", "disconnecting",
                                  "newListener", "removeListener"])
async def test_reserved_event_names_are_refused_and_run_nothing(world: World, name: str) -> None:
    shopper = await customer(world.server)
    case = await press_help(shopper)
    error = await refused_with_event(shopper, name, {"x": 1}, "unknown_event")
    assert error["event"] == name
    assert name in error["message"]
    refused(await call_with(shopper, name), "unknown_event")
    # the case is still connected: its customer_connection was not touched
    engine = world.server.services.engine
    assert engine.case(case["case_id"]).state.value in ("queued", "offered")
    ok(await shopper.call("chat_send", {"text": "still me"}))
    await world.still_fine()


async def test_an_agent_sending_disconnect_stays_online_for_its_customer(world: World) -> None:
    omar = await agent(world.server, "omar", "Omar")
    shopper, case_id, _ = await active_case(world.server, omar)
    for name in ("disconnect", "connect"):
        error = await refused_with_event(omar.client, name, {}, "unknown_event")
        assert error["event"] == name
    assert "agent_lost" not in shopper.received
    assert "customer_connection" not in omar.client.received
    reply = ok(await omar.call("chat_send", {"case_id": case_id, "text": "still here"}))
    await shopper.wait_for("chat_message", lambda m: m["id"] == reply["message"]["id"])
    await world.still_fine()


async def test_an_event_name_that_is_not_a_string_is_refused(world: World) -> None:
    shopper = await customer(world.server)
    await shopper.sio.eio.send('2/customer,[7,{}]')
    pushed = await shopper.wait_for("error", lambda e: e["code"] == "unknown_event")
    assert pushed["event"] == "7"
    await shopper.sio.eio.send('2/customer,[]')
    await shopper.wait_for("error", lambda e: e["event"] == "None")
    ok(await shopper.call("help_request", {"context": context()}))
    await world.still_fine()


async def test_agent_events_before_agent_hello_are_refused_as_not_ready(world: World) -> None:
    await world.server.create_agent("nina", "Nina")
    token = await world.server.login("nina")
    console = await connect(world.server.url, AGENT_NS, {"token": token})
    for event, payload in [("presence_set", {"presence": "available"}), ("queues_get", {}),
                           ("offer_accept", {"case_id": world.bystander_case}),
                           ("typing", {"case_id": world.bystander_case, "active": True}),
                           ("media_hangup", {"case_id": world.bystander_case})]:
        error = await refused_with_event(console, event, payload, "not_ready")
        assert error["event"] == event
        assert "agent_hello" in error["message"]
    ok(await console.call("agent_hello", {}))
    ok(await console.call("queues_get", {}))
    await world.still_fine()


async def test_typing_on_a_closed_case_is_refused_like_chat(world: World) -> None:
    omar = await agent(world.server, "omar", "Omar")
    shopper, case_id, _ = await active_case(world.server, omar)
    ok(await omar.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                      "resolved": True}))
    chat = refused(await shopper.call("chat_send", {"text": "hej"}), "invalid_transition")
    typing = await refused_with_event(shopper, "typing", {"active": True}, chat["code"])
    assert typing["event"] == "typing"
    await refused_with_event(omar.client, "typing", {"case_id": case_id, "active": True},
                             "invalid_transition")
    await world.still_fine()
