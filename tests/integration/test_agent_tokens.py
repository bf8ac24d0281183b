"""An agent socket lives no longer than its token: warned, renewable, closed at expiry; signing
out and a new password revoke every live token."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.live import LiveServer, connect

from .helpers import AGENT_NS, ok, refused, refused_connection


def token_expiring_in(server: LiveServer, agent_id: str, seconds: int, version: int = 0) -> str:
    """A correctly signed agent token whose lifetime ends `seconds` from now."""
    ttl = server.settings.security.agent_token_ttl_seconds

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - ttl + seconds

    serializer = URLSafeTimedSerializer(server.settings.security.secret_key, salt="helpwire.agent",
                                        signer=Backdated)
    return str(serializer.dumps({"a": agent_id, "v": version}))


async def post(server: LiveServer, path: str, token: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(
        server.url + path, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def test_an_agent_socket_is_warned_then_closed_when_its_token_expires(
    server_factory: Any,
) -> None:
    async with server_factory(security={"token_refresh_notice_seconds": 1}) as server:
        agent_id = await server.create_agent("lisa", "Lisa")
        console = await connect(server.url, AGENT_NS, {"token": token_expiring_in(server, agent_id, 3)})
        ok(await console.call("agent_hello", {}))
        expiring = await console.wait_for("token_expiring", timeout=5)
        assert 0 <= expiring["expires_in"] <= 2
        expired = await console.wait_for("token_expired", timeout=5)
        assert expired["code"] == "token_expired" and expired["message"]
        await asyncio.wait_for(console.disconnected.wait(), 5)


async def test_a_console_connecting_with_less_than_the_notice_left_is_told_at_once(
    server_factory: Any,
) -> None:
    async with server_factory(security={"token_refresh_notice_seconds": 60}) as server:
        agent_id = await server.create_agent("lisa", "Lisa")
        console = await connect(server.url, AGENT_NS,
                                {"token": token_expiring_in(server, agent_id, 30)})
        ok(await console.call("agent_hello", {}))
        expiring = await console.wait_for("token_expiring", timeout=5)
        assert 20 <= expiring["expires_in"] <= 30
        assert "token_expired" not in console.received


async def test_a_renewed_token_keeps_the_socket_open_past_the_old_expiry(
    server_factory: Any,
) -> None:
    async with server_factory(security={"token_refresh_notice_seconds": 2}) as server:
        agent_id = await server.create_agent("lisa", "Lisa")
        old = token_expiring_in(server, agent_id, 3)
        console = await connect(server.url, AGENT_NS, {"token": old})
        ok(await console.call("agent_hello", {}))
        await console.wait_for("token_expiring", timeout=5)
        status, body = await post(server, "/api/agent/refresh", old)
        assert status == 200 and body["expires_in"] == server.settings.security.agent_token_ttl_seconds
        renewed = ok(await console.call("token_renew", {"token": body["token"]}))
        assert renewed["expires_in"] > 3600
        # past the old deadline the socket still works
        await asyncio.sleep(4)  # time itself is under test: the old deadline must pass
        ok(await console.call("queues_get", {}))
        assert "token_expired" not in console.received


async def test_another_agents_token_cannot_renew_a_socket(server: LiveServer) -> None:
    await server.create_agent("lisa", "Lisa")
    await server.create_agent("omar", "Omar")
    console = await connect(server.url, AGENT_NS, {"token": await server.login("lisa")})
    ok(await console.call("agent_hello", {}))
    refused(await console.call("token_renew", {"token": await server.login("omar")}),
            "invalid_token")


async def test_signing_out_revokes_every_token_and_closes_the_live_sockets(
    server: LiveServer,
) -> None:
    await server.create_agent("lisa", "Lisa")
    token = await server.login("lisa")
    other_tab = await server.login("lisa")
    console = await connect(server.url, AGENT_NS, {"token": token})
    ok(await console.call("agent_hello", {}))
    status, body = await post(server, "/api/agent/logout", token)
    assert (status, body) == (200, {"signed_out": True})
    closed = await console.wait_for("token_expired", timeout=5)
    assert closed["code"] == "token_revoked"
    await asyncio.wait_for(console.disconnected.wait(), 5)
    for revoked in (token, other_tab):
        error = await refused_connection(server.url, AGENT_NS, {"token": revoked})
        assert error["code"] == "token_revoked"
        status, body = await post(server, "/api/agent/refresh", revoked)
        assert (status, body["error"]["code"]) == (401, "token_revoked")
    fresh = await server.login("lisa")  # signing in again works
    ok(await (await connect(server.url, AGENT_NS, {"token": fresh})).call("agent_hello", {}))


async def test_a_new_password_revokes_the_tokens_issued_before(server: LiveServer) -> None:
    agent_id = await server.create_agent("lisa", "Lisa")
    token = await server.login("lisa")
    await server.services.agents.set_password_hash(agent_id, "$argon2id$not-a-real-hash")
    error = await refused_connection(server.url, AGENT_NS, {"token": token})
    assert error["code"] == "token_revoked"


async def test_refresh_needs_a_valid_bearer_token(server: LiveServer) -> None:
    agent_id = await server.create_agent("lisa", "Lisa")
    for token in ("", "forged.token.value", token_expiring_in(server, agent_id, -5)):
        status, body = await post(server, "/api/agent/refresh", token)
        assert status == 401 and body["error"]["code"] in ("invalid_token", "token_expired")
