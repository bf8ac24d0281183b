"""Agent sign-in against guessing: lockout per username, a limit per address, no username oracle,
refusals logged with pseudonyms, and Argon2 kept off the event loop."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import aiohttp
from structlog.testing import capture_logs

from server.security.passwords import hash_password
from tests.support.limits import LOOPBACK_SECURITY
from tests.support.live import LiveServer

LOGIN = "/api/agent/login"


async def login(server: LiveServer, username: str, password: str,
                address: str | None = None) -> tuple[int, dict[str, Any], Any]:
    headers = {"X-Forwarded-For": address} if address else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}{LOGIN}", headers=headers,
                             json={"username": username, "password": password}) as response:
            return response.status, await response.json(), response.headers


def security(**changes: Any) -> dict[str, Any]:
    return {**LOOPBACK_SECURITY, "trusted_proxies": ["127.0.0.1/32"], **changes}


async def test_a_username_is_locked_after_five_wrong_passwords_even_for_the_right_one(
    server_factory: Any,
) -> None:
    async with server_factory(security=security()) as server:
        await server.create_agent("lisa", "Lisa", password="rätt-lösenord")
        for _ in range(4):
            assert (await login(server, "lisa", "fel"))[0] == 401
        assert (await login(server, "lisa", "rätt-lösenord"))[0] == 200  # at the limit: still in
        for _ in range(5):
            status, body, _ = await login(server, "lisa", "fel")
            assert (status, body["error"]["code"]) == (401, "invalid_credentials")
        status, body, headers = await login(server, "lisa", "rätt-lösenord")
        assert (status, body["error"]["code"]) == (429, "login_locked")
        assert body["error"]["retry_after"] == 60 and headers["Retry-After"] == "60"
        # an unknown username locks the same way: the lockout tells nobody who exists
        for _ in range(5):
            assert (await login(server, "ghost", "fel"))[0] == 401
        status, body, _ = await login(server, "ghost", "fel")
        assert (status, body["error"]["code"]) == (429, "login_locked")
        # another agent is not locked out by it
        await server.create_agent("omar", "Omar")
        assert (await login(server, "omar", "password123"))[0] == 200


async def test_sign_ins_per_address_at_the_limit_and_one_past(server_factory: Any) -> None:
    rate = {"burst": 3, "per_seconds": 60}
    async with server_factory(security=security(login_per_address=rate)) as server:
        await server.create_agent("lisa", "Lisa")
        for user in ("a", "b", "c"):
            assert (await login(server, user, "x", "198.51.100.4"))[0] == 401
        status, body, headers = await login(server, "lisa", "password123", "198.51.100.4")
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        # one attempt back every 60 / 3 s, less the time the three attempts took
        assert 15 <= body["error"]["retry_after"] <= 20
        assert headers["Retry-After"] == str(body["error"]["retry_after"])
        assert (await login(server, "lisa", "password123", "198.51.100.5"))[0] == 200


async def test_a_refused_sign_in_is_logged_with_pseudonyms_not_the_address_or_username(
    server_factory: Any,
) -> None:
    async with server_factory(security=security()) as server:
        with capture_logs() as logs:
            await login(server, "lisa.svensson", "fel", "198.51.100.44")
            await login(server, "lisa.svensson", "fel", "198.51.100.44")
            await login(server, "omar", "fel", "203.0.113.45")
        refusals = [line for line in logs if line["event"] == "agent_login_refused"]
        assert len(refusals) == 3
        text = repr(logs)
        for secret in ("198.51.100.44", "203.0.113.45", "lisa.svensson", "'omar'", "fel"):
            assert secret not in text
        first, second, third = refusals
        assert first["address_id"] == second["address_id"] != third["address_id"]
        assert first["user_id"] == second["user_id"] != third["user_id"]
        assert first["code"] == "invalid_credentials"


async def _timed_login(server: LiveServer, http: aiohttp.ClientSession, username: str) -> float:
    started = time.perf_counter()
    async with http.post(f"{server.url}{LOGIN}",
                         json={"username": username, "password": "wrong-password"}) as response:
        await response.read()
        assert response.status == 401
    return time.perf_counter() - started


async def test_known_and_unknown_usernames_take_the_same_time(server_factory: Any) -> None:
    """No username oracle: both cost one Argon2 check (an unknown one against a dummy hash).
    Medians of interleaved tries, within 10 % of each other; skipping the check would make the
    unknown one ~100 times faster."""
    async with server_factory(security=security(login_failures_before_lockout=1000)) as server:
        agent = await server.services.agents.create(
            username="lisa", display_name="Lisa", skills=(), languages=(), max_concurrent=3,
            roles=(), password_hash=await asyncio.to_thread(hash_password, "real-password"))
        assert agent.id
        known: list[float] = []
        unknown: list[float] = []
        async with aiohttp.ClientSession() as http:
            await _timed_login(server, http, "warm-up")
            for n in range(15):
                first, second = ("lisa", "nobody") if n % 2 == 0 else ("nobody", "lisa")
                for username in (first, second):
                    spent = await _timed_login(server, http, username)
                    (known if username == "lisa" else unknown).append(spent)
        ratio = statistics.median(known) / statistics.median(unknown)
        assert 0.9 <= ratio <= 1.1, (ratio, known, unknown)


async def test_password_checks_do_not_stall_the_event_loop(server_factory: Any) -> None:
    """Eight sign-ins at once with the real Argon2 parameters: the loop keeps answering."""
    # a shared test machine may take seconds for eight checks two at a time: no time limit here
    async with server_factory(security=security(), storage__http_database_timeout_seconds=60) as server:
        await server.services.agents.create(
            username="lisa", display_name="Lisa", skills=(), languages=(), max_concurrent=3,
            roles=(), password_hash=await asyncio.to_thread(hash_password, "real-password"))
        gaps: list[float] = []
        done = asyncio.Event()

        async def watch() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        watcher = asyncio.create_task(watch())
        results = await asyncio.gather(*(login(server, "lisa", "wrong") for _ in range(8)))
        done.set()
        await watcher
        assert [status for status, _, _ in results] == [401] * 8
        # one Argon2 check on the loop takes ≥ 50 ms; eight would stall it for over half a second
        assert max(gaps) < 0.25, max(gaps)
