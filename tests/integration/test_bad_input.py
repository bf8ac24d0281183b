"""Bad input is answered with a clear error, the sender can carry on, and nobody else notices.

Every test runs beside a live bystander case (a customer chatting with an agent) and checks,
after the bad input, that the server still answers and that case still works.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from itsdangerous import URLSafeSerializer

from server.security.tokens import TokenSigner
from tests.support.live import Client, LiveServer

from .helpers import (
    AGENT_NS,
    Agent,
    active_case,
    agent,
    chat_round_trip,
    context,
    customer,
    ok,
    press_help,
    refused_connection,
    refused_with_event,
)


@dataclass
class World:
    server: LiveServer
    bystander: Client
    bystander_agent: Agent
    bystander_case: str
    rounds: int = 0

    async def still_fine(self) -> None:
        """The server is up and the other live case carries on as if nothing happened."""
        self.rounds += 1
        async with aiohttp.ClientSession() as http, http.get(f"{self.server.url}/healthz") as answer:
            assert answer.status == 200
        await chat_round_trip(self.bystander, self.bystander_agent, self.bystander_case,
                              f"round {self.rounds}")
        assert self.bystander.received.get("error", []) == []
        assert self.bystander_agent.client.received.get("error", []) == []


@pytest.fixture
async def world(server: LiveServer) -> AsyncIterator[World]:
    lisa = await agent(server, "lisa", "Lisa")
    bystander, case_id, _ = await active_case(server, lisa)
    world = World(server, bystander, lisa, case_id)
    await world.still_fine()
    yield world


def nested(depth: int) -> Any:
    """A list nested `depth` levels deep (the list itself is level 1)."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def deep_json(depth: int) -> str:
    """JSON text of lists nested `depth` levels deep, built as text (no encoder recursion)."""
    return "[" * depth + "]" * depth


def raw_event(event: str, payload_json: str) -> str:
    """A Socket.IO EVENT packet for /customer, written by hand (sent with eio.send, no ack)."""
    return f'2/customer,["{event}",{payload_json}]'


async def test_an_unknown_event_is_refused_and_the_connection_stays_usable(world: World) -> None:
    shopper = await customer(world.server)
    error = await refused_with_event(shopper, "make_coffee", {"sugar": 2}, "unknown_event")
    assert "make_coffee" in error["message"]
    await press_help(shopper)
    await world.still_fine()


async def test_wrong_types_are_refused_with_the_fields_at_fault(world: World) -> None:
    shopper = await customer(world.server)
    error = await refused_with_event(
        shopper, "help_request",
        {"context": {"store": 12, "battery": "full", "language": "sv"}}, "invalid_payload",
    )
    assert {f["field"] for f in error["fields"]} >= {"context.store", "context.battery"}
    assert all(f["problem"] for f in error["fields"])
    assert error["event"] == "help_request"
    error = await refused_with_event(shopper, "typing", {"active": "very"}, "invalid_payload")
    assert error["fields"][0]["field"] == "active"
    # not even an object
    await refused_with_event(shopper, "help_request", "help!", "invalid_payload")
    await press_help(shopper)
    await world.still_fine()


async def test_unknown_keys_in_the_context_are_refused(world: World) -> None:
    shopper = await customer(world.server)
    error = await refused_with_event(
        shopper, "help_request", {"context": context(loyalty_id="123")}, "invalid_payload"
    )
    assert [f["field"] for f in error["fields"]] == ["context.loyalty_id"]
    cart = {"lines": [{"sku": "a", "name": "b", "quantity": 1, "unit_price": 1, "discount": 5}]}
    error = await refused_with_event(
        shopper, "help_request", {"context": context(cart=cart)}, "invalid_payload"
    )
    assert [f["field"] for f in error["fields"]] == ["context.cart.lines.0.discount"]
    await press_help(shopper)
    await world.still_fine()


async def test_a_megabyte_event_is_refused_as_too_large(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    error = await refused_with_event(shopper, "chat_send", {"text": "x" * 1_000_000},
                                     "payload_too_large")
    assert "16384" in error["message"] and "max_event_bytes" in error["message"]
    ok(await shopper.call("chat_send", {"text": "sorry, shorter"}))
    await world.still_fine()


async def test_a_frame_larger_than_the_transport_allows_closes_only_that_connection(
    world: World,
) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    assert world.server.settings.network.max_transport_bytes == 2 * 1024 * 1024
    await shopper.send("chat_send", {"text": "x" * (3 * 1024 * 1024)})
    await asyncio.wait_for(shopper.disconnected.wait(), 3)
    assert not shopper.sio.connected
    await world.still_fine()
    # and the door is open for the next connection
    again = await customer(world.server)
    await press_help(again)


async def test_nesting_past_the_limit_is_refused_as_too_deep(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    assert world.server.settings.limits.max_json_depth == 8
    # the payload object is level 1, so 7 more levels is 8: deep but allowed (then invalid)
    error = await refused_with_event(shopper, "chat_send", {"text": nested(7)}, "invalid_payload")
    assert error["fields"][0]["field"] == "text"
    error = await refused_with_event(shopper, "chat_send", {"text": nested(8)}, "payload_too_deep")
    assert "8" in error["message"]
    await refused_with_event(shopper, "chat_send", {"text": nested(200)}, "payload_too_deep")
    # deeper than Python clients can encode, still decodable by the server: written by hand
    await shopper.sio.eio.send(raw_event("chat_send", '{"text":' + deep_json(900) + "}"))
    pushed = await shopper.wait_for("error", lambda e: len(shopper.received["error"]) == 4)
    assert pushed["code"] == "payload_too_deep"
    ok(await shopper.call("chat_send", {"text": "flat again"}))
    await world.still_fine()


async def test_hostile_nesting_does_not_take_the_server_or_other_cases_down(world: World) -> None:
    shopper = await customer(world.server)
    await press_help(shopper)
    # too deep for any JSON encoder to build, and for Python's decoder to read back
    frame = raw_event("chat_send", deep_json(100_000))
    assert len(frame) < world.server.settings.network.max_transport_bytes
    await shopper.sio.eio.send(frame)
    await shopper.sio.eio.send(frame)
    # Python's decoder gives up on it, yet each frame is still answered with payload_too_deep;
    # the connection stays usable and the next event is handled as usual
    await shopper.wait_for("error", lambda e: e["code"] == "payload_too_deep")
    ok(await shopper.call("chat_send", {"text": "still here"}))
    assert [e["code"] for e in shopper.received["error"]] == ["payload_too_deep"] * 2
    assert shopper.sio.connected
    await world.still_fine()


async def test_a_tampered_or_foreign_case_token_is_refused(world: World) -> None:
    secret = world.server.settings.security.secret_key
    shopper_a = await customer(world.server)
    case_a = await press_help(shopper_a)
    shopper_b = await customer(world.server)
    case_b = await press_help(shopper_b)
    ok(await shopper_b.call("chat_send", {"text": "B's secret question"}))

    thief = await customer(world.server)
    token = case_a["case_token"]
    payload, signature = token.split(".")
    # (not the last character: its low bits are base64 padding, ignored when decoding)
    altered = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    await refused_with_event(thief, "resume", {"case_token": altered}, "invalid_token")
    # the payload changed to point at case B, keeping A's signature
    payload_b = URLSafeSerializer(secret, salt="helpwire.case").dumps({"c": case_b["case_id"]})
    forged = payload_b.split(".")[0] + "." + signature
    await refused_with_event(thief, "resume", {"case_token": forged}, "invalid_token")
    # a well-formed token for case B, signed with a different secret
    foreign = TokenSigner("some-other-secret-entirely", 3600).case_token(case_b["case_id"])
    await refused_with_event(thief, "resume", {"case_token": foreign}, "invalid_token")
    await refused_with_event(thief, "resume", {"case_token": "not-a-token"}, "invalid_token")
    # none of that bound the thief's socket to a case
    await refused_with_event(thief, "chat_send", {"text": "hello?"}, "no_open_case")

    # A's own token opens A, and only A
    resumed = ok(await thief.call("resume", {"case_token": token}))
    assert resumed["case_id"] == case_a["case_id"] != case_b["case_id"]
    assert resumed["case"]["messages"] == []
    assert "B's secret question" not in json.dumps(resumed)
    await world.still_fine()


async def test_agent_events_on_a_customer_socket_are_unknown(world: World) -> None:
    shopper = await customer(world.server)
    helped = await press_help(shopper)
    for event, payload in (
        ("offer_accept", {"case_id": world.bystander_case}),
        ("case_close", {"case_id": helped["case_id"], "label": "betalningsfråga", "resolved": True}),
        ("agent_hello", {}),
        ("presence_set", {"presence": "available"}),
    ):
        await refused_with_event(shopper, event, payload, "unknown_event")
    case = world.server.services.engine.case(world.bystander_case)
    assert (case.state.value, case.agent_id) == ("active", world.bystander_agent.id)
    ok(await shopper.call("typing", {"active": True}))
    await world.still_fine()


async def test_the_agent_namespace_refuses_a_missing_or_wrong_token(world: World) -> None:
    url = world.server.url
    for auth in (None, {}, {"token": ""}, {"token": "forged.token.value"}, {"token": 12},
                 {"token": TokenSigner("other-secret", 3600).agent_token(world.bystander_agent.id)}):
        error = await refused_connection(url, AGENT_NS, auth)
        assert error["code"] == "invalid_token", (auth, error)
        assert error["message"]
    await world.still_fine()


async def test_the_kiosk_namespace_refuses_a_connection_without_a_kiosk_id(world: World) -> None:
    for auth in (None, {}, {"kiosk_id": ""}, {"kiosk_id": "k" * 65}, {"kiosk_id": 7}):
        error = await refused_connection(world.server.url, "/kiosk", auth)
        assert error["code"] == "invalid_payload", (auth, error)
        assert "kiosk_id" in error["message"]
    kiosk = await customer(world.server, "/kiosk", {"kiosk_id": "lund-kassa-3"})
    helped = await press_help(kiosk)
    assert world.server.services.engine.case(helped["case_id"]).kiosk_id == "lund-kassa-3"
    await world.still_fine()


async def test_chat_before_any_case_has_no_open_case(world: World) -> None:
    shopper = await customer(world.server)
    await refused_with_event(shopper, "chat_send", {"text": "hej"}, "no_open_case")
    await refused_with_event(shopper, "cancel", {}, "no_open_case")
    await press_help(shopper)
    ok(await shopper.call("chat_send", {"text": "hej"}))
    await world.still_fine()


async def test_feedback_before_the_conversation_ended_is_not_allowed(world: World) -> None:
    await refused_with_event(world.bystander, "feedback", {"rating": 5}, "feedback_not_allowed")
    shopper = await customer(world.server)
    await press_help(shopper)
    await refused_with_event(shopper, "feedback", {"rating": 1, "text": "slow"},
                             "feedback_not_allowed")
    ok(await shopper.call("chat_send", {"text": "still waiting"}))
    # the bystander's own early feedback is the one error it saw; its case goes on
    assert [e["code"] for e in world.bystander.received.pop("error")] == ["feedback_not_allowed"]
    await world.still_fine()


async def test_a_second_help_request_on_the_same_socket_is_refused(world: World) -> None:
    shopper = await customer(world.server)
    first = await press_help(shopper)
    error = await refused_with_event(shopper, "help_request", {"context": context()},
                                     "case_already_open")
    assert "already" in error["message"]
    waiting = [e.case_id for e in world.server.services.engine.state.waiting("general")]
    assert waiting.count(first["case_id"]) == 1 and len(waiting) == 1
    ok(await shopper.call("chat_send", {"text": "one case is enough"}))
    await world.still_fine()
