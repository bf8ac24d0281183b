"""Rate limits over a real server: at each limit, one past it (rate_limited with retry_after), and
a flood from one address that does not deny service to anyone else.

Every test client is 127.0.0.1; set as a trusted proxy, it presents the address of its choice in
X-Forwarded-For, as a reverse proxy would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio

from tests.support.live import Client, LiveServer, connect

from .helpers import CUSTOMER_NS, active_case, agent, context, ok, refused, refused_with_event

KIOSK_NS = "/kiosk"


def limits(**rates: Any) -> dict[str, Any]:
    """A [security] section trusting 127.0.0.1 as the proxy, with `rates` on top of the defaults."""
    return {"trusted_proxies": ["127.0.0.1/32"], **rates}


async def from_address(server: LiveServer, address: str, namespace: str = CUSTOMER_NS,
                       auth: Any = None) -> Client:
    return await connect(server.url, namespace, auth, headers={"X-Forwarded-For": address})


async def until(condition: Any, timeout: float = 5.0) -> None:
    """The server's side of a close has no event to await: look every 10 ms, up to `timeout`."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - nothing to await on this side
            await asyncio.sleep(0.01)


async def refused_connect(server: LiveServer, address: str) -> Any:
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", lambda data=None: errors.append(data), namespace=CUSTOMER_NS)
    try:
        await sio.connect(server.url, namespaces=[CUSTOMER_NS], transports=["websocket"],
                          headers={"X-Forwarded-For": address}, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await sio.disconnect()
        raise AssertionError(f"a connection from {address} was accepted past the limit")
    finally:
        if sio.eio.state == "connected":
            await sio.eio.disconnect()
    assert errors, "the connection failed without a connect_error"
    return errors[0]["data"]


async def test_help_presses_per_address_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 3, "per_seconds": 60}
    async with server_factory(security=limits(help_per_address=rate)) as server:
        for _ in range(3):
            shopper = await from_address(server, "198.51.100.7")
            ok(await shopper.call("help_request", {"context": context()}))
        shopper = await from_address(server, "198.51.100.7")
        error = await refused_with_event(shopper, "help_request", {"context": context()},
                                         "rate_limited")
        assert error["event"] == "help_request"
        assert error["retry_after"] == 20  # one press back every 60 / 3 s
        # the same socket may press again later; another address is not affected now
        other = await from_address(server, "198.51.100.8")
        ok(await other.call("help_request", {"context": context()}))


async def test_an_untrusted_peer_cannot_dodge_the_limit_by_forging_x_forwarded_for(
    server_factory: Any,
) -> None:
    rate = {"burst": 2, "per_seconds": 60}
    async with server_factory(security={"help_per_address": rate}) as server:  # no proxy trusted
        for n in range(2):
            shopper = await from_address(server, f"203.0.113.{n}")
            ok(await shopper.call("help_request", {"context": context()}))
        shopper = await from_address(server, "203.0.113.99")
        refused(await shopper.call("help_request", {"context": context()}), "rate_limited")


async def test_help_presses_per_kiosk_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 2, "per_seconds": 60}
    async with server_factory(security=limits(help_per_kiosk=rate)) as server:
        for n in range(2):
            kiosk = await from_address(server, f"192.0.2.{n}", KIOSK_NS, {"kiosk_id": "k-7"})
            ok(await kiosk.call("help_request", {"context": context(channel="web")}))
        kiosk = await from_address(server, "192.0.2.50", KIOSK_NS, {"kiosk_id": "k-7"})
        error = refused(await kiosk.call("help_request", {"context": context(channel="web")}),
                        "rate_limited")
        assert error["retry_after"] == 30
        other = await from_address(server, "192.0.2.51", KIOSK_NS, {"kiosk_id": "k-8"})
        ok(await other.call("help_request", {"context": context(channel="web")}))


async def test_a_help_flood_from_one_address_leaves_the_queue_to_everyone_else(
    server_factory: Any,
) -> None:
    """Without the limit, the flood fills the 6-case queue and the real customer gets
    queue_full; with it, the flooder gets 3 cases and the customer a queue position."""
    rate = {"burst": 3, "per_seconds": 60}
    async with server_factory(security=limits(help_per_address=rate),
                              dispatch__max_queue_length=6) as server:
        await agent(server, "omar", "Omar", available=False)  # on a break: everyone waits
        flooders = [await from_address(server, "198.51.100.66") for _ in range(12)]
        acks = await asyncio.gather(*(f.call("help_request", {"context": context()})
                                      for f in flooders))
        codes = sorted("ok" if a["ok"] else a["error"]["code"] for a in acks)
        assert codes == ["ok"] * 3 + ["rate_limited"] * 9
        real = await from_address(server, "203.0.113.20")
        ack = ok(await real.call("help_request", {"context": context()}))
        assert ack["case"]["state"] == "queued"
        await real.wait_for("queue_status", lambda s: s["position"] == 4)


async def test_sockets_per_address_at_the_limit_and_one_past(server_factory: Any) -> None:
    async with server_factory(security=limits(max_sockets_per_address=3)) as server:
        open_sockets = [await from_address(server, "198.51.100.9") for _ in range(3)]
        error = await refused_connect(server, "198.51.100.9")
        assert error["code"] == "rate_limited" and error["retry_after"] >= 1
        await from_address(server, "198.51.100.10")  # someone else connects
        await open_sockets[0].close()
        counter = server.services.guard.sockets_per_address
        await until(lambda: counter.count("198.51.100.9") == 2)
        await from_address(server, "198.51.100.9")  # a closed socket frees its place


async def test_210_sockets_from_one_client_do_not_fill_the_queue(server_factory: Any) -> None:
    """The issue's flood, with the default limits: 210 sockets from one address, each pressing
    Help, against a queue of 20; a real customer from elsewhere still gets a position."""
    async with server_factory(security=limits(), dispatch__max_queue_length=20) as server:
        await agent(server, "omar", "Omar", available=False)  # on a break: everyone waits
        accepted: list[Client] = []
        refusals = 0
        for _ in range(210):
            try:
                accepted.append(await from_address(server, "198.51.100.77"))
            except socketio.exceptions.ConnectionError:
                refusals += 1
        assert len(accepted) == 20 and refusals == 190
        acks = await asyncio.gather(*(c.call("help_request", {"context": context()})
                                      for c in accepted))
        assert sum(1 for a in acks if a["ok"]) == 10  # the default: 10 per minute
        real = await from_address(server, "203.0.113.21")
        ack = ok(await real.call("help_request", {"context": context()}))
        assert ack["case"]["state"] == "queued"
        await real.wait_for("queue_status", lambda s: s["position"] == 11)


async def test_chat_per_socket_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 5, "per_seconds": 60}
    async with server_factory(security=limits(chat_per_socket=rate)) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        for n in range(5):
            ok(await shopper.call("chat_send", {"text": f"rad {n}"}))
        error = await refused_with_event(shopper, "chat_send", {"text": "en för mycket"},
                                         "rate_limited")
        assert error["retry_after"] == 12
        for n in range(5):
            ok(await lisa.call("chat_send", {"case_id": case_id, "text": f"svar {n}"}))
        refused(await lisa.call("chat_send", {"case_id": case_id, "text": "sex"}), "rate_limited")
        lines = [m for m in lisa.client.received["chat_message"] if m.get("sender") == "customer"]
        assert len(lines) == 5  # the refused line never reached the agent


async def test_typing_per_socket_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 4, "per_seconds": 60}
    async with server_factory(security=limits(typing_per_socket=rate)) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        for n in range(4):
            ok(await shopper.call("typing", {"active": n % 2 == 0}))
        refused(await shopper.call("typing", {"active": True}), "rate_limited")
        for _ in range(4):
            ok(await lisa.call("typing", {"case_id": case_id, "active": True}))
        refused(await lisa.call("typing", {"case_id": case_id, "active": False}), "rate_limited")


def purchase(n: int) -> dict[str, Any]:
    return {"order_id": f"o-{n}", "session_id": "s-1", "store": "ica-maxi-lund",
            "amount": 99.5, "currency": "SEK"}


async def test_ingest_per_key_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 3, "per_seconds": 60}
    async with server_factory(security=limits(ingest_per_key=rate),
                              ingest_api_keys=["key-one", "key-two"]) as server:
        async with aiohttp.ClientSession() as http:
            async def post(key: str, n: int) -> aiohttp.ClientResponse:
                async with http.post(f"{server.url}/api/purchases", json=purchase(n),
                                     headers={"Authorization": f"Bearer {key}"}) as response:
                    await response.read()
                    return response

            for n in range(3):
                assert (await post("key-one", n)).status == 201
            async with http.post(f"{server.url}/api/purchases", json=purchase(9),
                                 headers={"Authorization": "Bearer key-one"}) as response:
                assert response.status == 429
                assert response.headers["Retry-After"] == "20"
                body = await response.json()
            assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] == 20
            assert (await post("key-two", 10)).status == 201  # another key has its own bucket
