"""The HTTP side: health, agent sign-in and the tokens it hands out."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.live import LiveServer

from .helpers import AGENT_NS, connect, ok, refused_connection


async def post(server: LiveServer, path: str, **kwargs: Any) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.post(f"{server.url}{path}", **kwargs) as answer:
        text = await answer.text()
        body = await answer.json() if answer.content_type == "application/json" else None
        return answer.status, text, body


async def test_healthz_says_ok(server: LiveServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as answer:
        assert answer.status == 200
        assert await answer.json() == {"status": "ok"}


async def test_healthz_says_503_with_a_reason_when_the_database_is_gone(server: LiveServer) -> None:
    await server.close_database()
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as answer:
        assert answer.status == 503
        body = await answer.json()
    assert body["status"] == "degraded"
    assert "database_unreachable" in body["reasons"]
    assert "database" in body["reason"]


async def test_login_with_a_wrong_password_is_401(server: LiveServer) -> None:
    await server.create_agent("lisa", "Lisa", password="correct horse")
    status, _, body = await post(server, "/api/agent/login",
                                 json={"username": "lisa", "password": "wrong horse"})
    assert status == 401
    assert body["error"]["code"] == "invalid_credentials"
    # an unknown user gets the very same answer (no user enumeration)
    status, _, unknown = await post(server, "/api/agent/login",
                                    json={"username": "nobody", "password": "wrong horse"})
    assert (status, unknown) == (401, body)


async def test_login_needs_json(server: LiveServer) -> None:
    status, _, body = await post(server, "/api/agent/login", data="username=lisa&password=x",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert body["error"]["code"] == "unsupported_media_type"

    status, _, body = await post(server, "/api/agent/login", data='{"username": "lisa", ',
                                 headers={"Content-Type": "application/json"})
    assert status == 400
    assert body["error"]["code"] == "invalid_json"

    status, _, body = await post(server, "/api/agent/login", json={"username": "lisa"})
    assert status == 400
    assert body["error"]["code"] == "invalid_payload"


async def test_a_login_body_over_64_kib_is_413(server: LiveServer) -> None:
    status, _, body = await post(server, "/api/agent/login",
                                 json={"username": "lisa", "password": "x" * (64 * 1024)})
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    # the server is fine afterwards
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as answer:
        assert answer.status == 200


async def test_the_token_from_login_opens_the_agent_namespace(server: LiveServer) -> None:
    agent_id = await server.create_agent("lisa", "Lisa")
    status, _, body = await post(server, "/api/agent/login",
                                 json={"username": "lisa", "password": "password123"})
    assert status == 200
    assert body["agent"] == {"id": agent_id, "display_name": "Lisa"}
    assert body["expires_in"] == server.settings.security.agent_token_ttl_seconds
    console = await connect(server.url, AGENT_NS, {"token": body["token"]})
    hello = ok(await console.call("agent_hello", {}))
    assert hello["agent"]["id"] == agent_id
    assert hello["presence"] == "away"


class _AnHourAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


async def test_an_expired_or_foreign_agent_token_is_refused(server_factory: Any) -> None:
    async with server_factory(security__agent_token_ttl_seconds=60) as server:
        agent_id = await server.create_agent("lisa", "Lisa")
        secret = server.settings.security.secret_key
        stale = URLSafeTimedSerializer(secret, salt="helpwire.agent", signer=_AnHourAgo)
        error = await refused_connection(server.url, AGENT_NS, {"token": stale.dumps({"a": agent_id})})
        assert error["code"] == "token_expired"

        foreign = URLSafeTimedSerializer("another-server's-secret", salt="helpwire.agent")
        error = await refused_connection(server.url, AGENT_NS,
                                         {"token": foreign.dumps({"a": agent_id})})
        assert error["code"] == "invalid_token"

        # a fresh token for an agent that was since deleted is refused too
        fresh = URLSafeTimedSerializer(secret, salt="helpwire.agent").dumps({"a": "no-such-agent"})
        error = await refused_connection(server.url, AGENT_NS, {"token": fresh})
        assert error["code"] == "invalid_token"
