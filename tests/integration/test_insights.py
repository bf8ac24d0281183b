"""/metrics (Prometheus) and the /supervisor namespace over loopback."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import aiohttp

from tests.integration.helpers import agent, customer, press_help, refused_connection
from tests.support.live import LiveServer, connect

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def scrape(server: LiveServer) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


def value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{sample} not in metrics")


async def test_metrics_follow_queues_agents_events_and_errors(server: LiveServer) -> None:
    text = await scrape(server)
    assert value(text, 'helpwire_queue_length{queue="general"}') == 0
    assert value(text, "helpwire_media_sessions_active") == 0
    lisa = await agent(server, "lisa", "Lisa", available=False)  # online, not taking offers
    client = await customer(server)
    await press_help(client)
    refused = await client.call("chat_send", {"nope": 1})
    assert refused["ok"] is False
    text = await scrape(server)
    assert value(text, 'helpwire_queue_length{queue="general"}') == 1
    assert value(text, 'helpwire_queue_longest_wait_seconds{queue="general"}') >= 0
    assert value(text, 'helpwire_errors_total{code="invalid_payload"}') == 1
    assert value(text, 'helpwire_live_cases{state="queued"}') == 1
    assert value(text, "helpwire_case_saves_total") >= 1
    await lisa.available()
    await lisa.client.wait_for("offer")
    text = await scrape(server)
    assert value(text, 'helpwire_agents{presence="available"}') == 1
    assert value(text, 'helpwire_events_total{audience="agent",event="offer"}') >= 1
    await client.close()
    await lisa.client.close()


async def test_supervisor_namespace_needs_the_role(server: LiveServer) -> None:
    await server.create_agent("omar", "Omar")
    token = await server.login("omar")
    error = await refused_connection(server.url, "/supervisor", {"token": token})
    assert error["code"] == "forbidden"
    error = await refused_connection(server.url, "/supervisor", {"token": "forged"})
    assert error["code"] == "invalid_token"


async def test_supervisor_state_updates_when_a_case_is_queued_and_answered(
    server_factory: Factory,
) -> None:
    async with server_factory(supervisor_refresh_seconds=30) as server:
        await server.create_agent("boss", "Boss", roles=("supervisor",))
        watcher = await connect(server.url, "/supervisor", {"token": await server.login("boss")})
        first = await watcher.wait_for("supervisor_state")
        assert first["waiting"] == 0 and first["today"]["cases"] == 0
        assert first["targets"]["asa_seconds"] == 30
        lisa = await agent(server, "lisa", "Lisa", available=False)
        client = await customer(server)
        await press_help(client)
        queued = await watcher.wait_for("supervisor_state", lambda s: s["waiting"] == 1)
        assert queued["today"]["cases"] == 1 and queued["today"]["answered"] == 0
        assert [a["name"] for a in queued["agents"]["away"]] == ["Lisa"]
        await lisa.available()
        await lisa.accept_next_offer()
        answered = await watcher.wait_for(
            "supervisor_state", lambda s: s["waiting"] == 0 and s["today"]["answered"] == 1)
        assert answered["today"]["asa_mean"] is not None
        assert [a["name"] for a in answered["agents"]["available"]] == ["Lisa"]
        await client.close()
        await lisa.client.close()
        await watcher.close()

