"""Shared steps of the integration tests: a customer presses Help, an agent signs in and answers."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import socketio

from tests.support.live import Client, LiveServer, connect

CUSTOMER_NS = "/customer"
AGENT_NS = "/agent"

#: a customer at the checkout of a store, in the payment step, on 4G, in Swedish
PAYMENT_CONTEXT: dict[str, Any] = {
    "store": "ica-maxi-lund",
    "channel": "app",
    "position": "checkout",
    "page": "/checkout/pay",
    "cart": {
        "lines": [
            {"sku": "7310865004703", "name": "Mjölk 1,5 %", "quantity": 2, "unit_price": 17.95,
             "age_restricted": False},
            {"sku": "7311041013557", "name": "Öl 3,5 %", "quantity": 6, "unit_price": 17.77,
             "age_restricted": True},
        ],
        "currency": "SEK",
    },
    "payment_step": "payment",
    "device": "mobile",
    "network": "4g",
    "battery": 37,
    "offline_mode": False,
    "language": "sv",
    "logged_in": True,
    "session_id": "sess-42",
}

#: a plain question from a shop page: routed to the default queue (general)
GENERAL_CONTEXT: dict[str, Any] = {"store": "ica-maxi-lund", "language": "sv"}


def context(base: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(base if base is not None else GENERAL_CONTEXT)
    result.update(changes)
    return result


def ok(ack: Any) -> dict[str, Any]:
    """The acknowledgement of a call that must have succeeded."""
    assert isinstance(ack, dict), ack
    assert ack.get("ok") is True, ack
    return ack


def refused(ack: Any, code: str) -> dict[str, Any]:
    """The error body of a call that must have been refused with `code`."""
    assert isinstance(ack, dict), ack
    assert ack.get("ok") is False, ack
    error = ack["error"]
    assert error["code"] == code, ack
    assert isinstance(error["message"], str) and error["message"], ack
    return dict(error)


async def refused_with_event(client: Client, event: str, payload: Any, code: str) -> dict[str, Any]:
    """Call `event`; it must be refused with `code` in the ack AND as an `error` event."""
    seen = len(client.received.get("error", []))
    error = refused(await client.call(event, payload), code)
    pushed = await fresh(client, "error", since=seen, timeout=3)
    assert pushed["code"] == code, pushed
    assert pushed["message"] == error["message"]
    return error


async def fresh(client: Client, event: str, predicate: Any = None, *, since: int,
                timeout: float = 5.0) -> Any:
    """An `event` matching predicate that arrived after the first `since` ones of its kind."""
    def newer(data: Any) -> bool:
        later = client.received[event][since:]
        return any(data is item for item in later) and (predicate is None or predicate(data))

    return await client.wait_for(event, newer, timeout=timeout)


def count(client: Client, event: str) -> int:
    """How many `event`s the client has received so far (a mark for `fresh`)."""
    return len(client.received.get(event, []))


async def customer(server: LiveServer, namespace: str = CUSTOMER_NS, auth: Any = None) -> Client:
    return await connect(server.url, namespace, auth)


async def press_help(client: Client, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Help button: returns the ack {case_id, case_token, case}."""
    return ok(await client.call("help_request", {"context": ctx or context()}))


@dataclass
class Agent:
    client: Client
    id: str
    token: str
    hello: dict[str, Any]

    async def call(self, event: str, payload: Any = None) -> Any:
        return await self.client.call(event, payload)

    async def available(self) -> None:
        ok(await self.client.call("presence_set", {"presence": "available"}))

    async def accept_next_offer(self, timeout: float = 5.0) -> dict[str, Any]:
        offer = await self.client.wait_for("offer", timeout=timeout)
        ack = ok(await self.client.call("offer_accept", {"case_id": offer["case_id"]}))
        return dict(ack["case"])


async def agent(
    server: LiveServer,
    username: str,
    display_name: str,
    *,
    skills: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    max_concurrent: int = 3,
    available: bool = True,
) -> Agent:
    """An agent account, signed in over HTTP, connected to /agent, hello said (and available)."""
    agent_id = await server.create_agent(username, display_name, skills=skills,
                                         languages=languages, max_concurrent=max_concurrent)
    token = await server.login(username)
    return await agent_session(server, agent_id, token, available=available)


async def agent_session(server: LiveServer, agent_id: str, token: str, *,
                        available: bool = True) -> Agent:
    """A (re)connected console of a signed-in agent."""
    client = await connect(server.url, AGENT_NS, {"token": token})
    hello = ok(await client.call("agent_hello", {}))
    assert hello["agent"]["id"] == agent_id
    session = Agent(client, agent_id, token, hello)
    if available:
        await session.available()
    return session


async def refused_connection(url: str, namespace: str, auth: Any) -> Any:
    """Connect and expect the namespace to refuse; returns the connect_error's data."""
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", lambda data=None: errors.append(data), namespace=namespace)
    try:
        await sio.connect(url, namespaces=[namespace], transports=["websocket"], auth=auth,
                          wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await sio.disconnect()
        raise AssertionError(f"{namespace} accepted a connection with auth {auth!r}")
    finally:
        if sio.eio.state == "connected":
            await sio.eio.disconnect()
    assert errors, "the connection failed without a connect_error"
    # socket.io-client shows this as an Error with .message and .data = {code, message}
    error = errors[0]
    assert isinstance(error, dict) and isinstance(error.get("message"), str), error
    assert error.get("data", {}).get("message") == error["message"], error
    return error["data"]


async def active_case(
    server: LiveServer, responder: Agent, ctx: dict[str, Any] | None = None
) -> tuple[Client, str, dict[str, Any]]:
    """A customer whose case `responder` has accepted; returns (customer, case_id, help ack)."""
    client = await customer(server)
    ack = await press_help(client, ctx)
    offer = await responder.client.wait_for("offer", lambda o: o["case_id"] == ack["case_id"])
    ok(await responder.call("offer_accept", {"case_id": offer["case_id"]}))
    await client.wait_for("agent_joined", lambda e: e["case_id"] == ack["case_id"])
    return client, ack["case_id"], ack


async def chat_round_trip(client: Client, responder: Agent, case_id: str, tag: str) -> None:
    """One message each way in an active case, each seen by the other side."""
    sent = ok(await client.call("chat_send", {"text": f"customer {tag}"}))["message"]
    await responder.client.wait_for("chat_message", lambda m: m["id"] == sent["id"], timeout=3)
    reply = ok(await responder.call("chat_send", {"case_id": case_id, "text": f"agent {tag}"}))
    await client.wait_for("chat_message", lambda m: m["id"] == reply["message"]["id"], timeout=3)
