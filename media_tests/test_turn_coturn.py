"""A real coturn with `use-auth-secret` accepts the TURN credentials Helpwire hands out, and only those.

coturn (Debian's `coturn` package, `/usr/bin/turnserver`) runs on 127.0.0.1 with a random shared
secret. Two aiortc peers restricted to relay candidates (`iceTransportPolicy="relay"`), one with the
`iceServers` a client receives (`IceConfig.for_client`) and one with those of the server's own peers
(`IceConfig.for_server`), must get relay candidates from it and exchange datachannel messages
through it. Credentials minted with the wrong secret, expired ones, and expired ones whose expiry
was pushed into the future by hand must be refused: no relay candidate, and coturn logs a 401.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)

from bench.coturn import INSTALL_HINT, TTL, TURNSERVER, Coturn
from bench.coturn import start as start_coturn


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    if not TURNSERVER.exists():
        pytest.fail(f"{TURNSERVER} is missing: {INSTALL_HINT}")
    server = start_coturn(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def _relay_only(servers: list[RTCIceServer]) -> RTCPeerConnection:
    # aiortc 1.16 takes the enum only: the string "relay" raises KeyError
    policy = RTCIceTransportPolicy.RELAY
    return RTCPeerConnection(RTCConfiguration(iceServers=servers, iceTransportPolicy=policy))


def _from_client_dicts(servers: list[dict[str, Any]]) -> list[RTCIceServer]:
    """What a browser does with the `ice_servers` it receives."""
    return [RTCIceServer(urls=s["urls"], username=s.get("username"),
                         credential=s.get("credential")) for s in servers]


def _candidates(sdp: str) -> list[str]:
    return re.findall(r"^a=candidate:([^\r\n]*)", sdp, re.MULTILINE)


def _turn_username(servers: list[RTCIceServer]) -> str:
    (server,) = servers
    assert server.username is not None
    return server.username


async def _offer(pc: RTCPeerConnection) -> str:
    """Gather (aiortc gathers everything in setLocalDescription) and return the local SDP."""
    pc.createDataChannel("probe")
    await asyncio.wait_for(pc.setLocalDescription(await pc.createOffer()), 10)
    return pc.localDescription.sdp


@pytest.mark.timeout(30)  # coturn start-up included; loopback only
async def test_coturn_relays_with_helpwire_credentials_only(coturn: Coturn) -> None:
    started = time.monotonic()
    now = time.time()
    ice = coturn.ice()
    customer_servers = _from_client_dicts(ice.for_client("case-42", now))
    server_servers = ice.for_server(now)

    valid_expired = _from_client_dicts(ice.for_client("case-43", now - TTL - 60))
    old = _turn_username(valid_expired)
    assert int(old.split(":")[0]) < now
    stretched = [RTCIceServer(urls=coturn.url, username=f"{int(now) + TTL}:case-43",
                              credential=valid_expired[0].credential)]  # expiry edited by hand
    refused = {
        "wrong secret": _from_client_dicts(coturn.ice("not-the-secret").for_client("case-44", now)),
        "expired": valid_expired,
        "expiry edited": stretched,
    }

    customer, server = _relay_only(customer_servers), _relay_only(server_servers)
    rejected = {name: _relay_only(servers) for name, servers in refused.items()}
    try:
        # --- refused credentials: no allocation, hence no candidate at all (relay-only policy)
        sdps = await asyncio.gather(*(_offer(pc) for pc in rejected.values()))
        for name, sdp in zip(rejected, sdps, strict=True):
            assert _candidates(sdp) == [], f"{name}: coturn allocated with refused credentials"

        # --- Helpwire's credentials: relay candidates, and data flows through coturn
        opened = asyncio.Event()
        got: asyncio.Queue[str] = asyncio.Queue()

        channel = customer.createDataChannel("chat")
        channel.on("open", opened.set)
        channel.on("message", got.put_nowait)

        @server.on("datachannel")
        def _on_channel(incoming: Any) -> None:
            incoming.on("message", lambda message: incoming.send(f"echo:{message}"))

        await asyncio.wait_for(customer.setLocalDescription(await customer.createOffer()), 10)
        offer = customer.localDescription
        await server.setRemoteDescription(RTCSessionDescription(offer.sdp, offer.type))
        await asyncio.wait_for(server.setLocalDescription(await server.createAnswer()), 10)
        answer = server.localDescription
        await customer.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))

        for name, sdp in (("customer", offer.sdp), ("server", answer.sdp)):
            candidates = _candidates(sdp)
            assert candidates, f"{name}: no relay candidate from coturn\n{coturn.output()[-3000:]}"
            for candidate in candidates:
                assert " typ relay" in candidate and " 127.0.0.1 " in candidate, (name, candidate)

        await asyncio.wait_for(opened.wait(), 10)
        for text in ("hej", "hallå"):
            channel.send(text)
            assert await asyncio.wait_for(got.get(), 5) == f"echo:{text}"
        assert customer.connectionState == server.connectionState == "connected"
    finally:
        for pc in (customer, server, *rejected.values()):
            await pc.close()

    # coturn's own account: both allocated and bound a channel to the other's relay address (the
    # path the datachannel took); every refused username got a 401
    log = coturn.output()
    for username in (_turn_username(customer_servers), _turn_username(server_servers)):
        for packet in ("ALLOCATE", "CHANNEL_BIND"):
            assert re.search(rf"user <{re.escape(username)}>: .*{packet} processed, success", log), (
                f"no successful {packet} for {username} in coturn's log:\n{log[-3000:]}")
    for name, servers in refused.items():
        username = _turn_username(servers)
        assert re.search(rf"user <{re.escape(username)}>: .*processed, error 401", log), (
            f"{name}: no 401 for {username} in coturn's log:\n{log[-3000:]}")
    print(f"\ncoturn: refusals, relay candidates and datachannel echo in"
          f" {time.monotonic() - started:.2f} s")
