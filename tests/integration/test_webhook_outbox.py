"""POS webhooks from the outbox: delivered once through failures and a server restart, or given up.

Real parts only: a Helpwire server on a SQLite file, an age check approved over the real
Socket.IO events, and a POS that is a real aiohttp server on a loopback port, which answers
HTTP 500, is switched off (connection refused) or accepts, and checks each delivery with the
verification code docs/protocol.md prints.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from structlog.testing import capture_logs

from server.core.clock import ManualClock
from server.core.effects import QueueWebhook
from server.runtime.outbox import OutboxWorker
from server.store import Database
from server.store.outbox import Delivery, OutboxRepository
from tests.integration.helpers import Agent, active_case, agent, context, ok
from tests.support.live import Client, LiveServer, live_server
from tests.support.pos import documented_verifier

SECRET = "pos-shared-secret-for-outbox-tests"
SKU = "starkol-50"
#: a plain question from a shop page with an age-restricted line in the cart
CART = context(cart={"currency": "SEK", "lines": [
    {"sku": SKU, "name": "Starköl 7,5 %", "quantity": 2, "unit_price": 28.5,
     "age_restricted": True},
]})
#: fast retries, so that the tests take seconds: 0.05 s, 0.1 s, then 0.2 s between attempts
FAST_RETRIES: dict[str, Any] = {
    "consent__pos_webhook_secret": SECRET, "outbox__backoff_seconds": 0.05,
    "outbox__backoff_cap_seconds": 0.2,
}


@dataclass
class Receiver:
    """The store's POS: records every request; answers 500 until told to accept."""

    accept: bool = False
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    #: delivery id → how many times it was accepted (2xx)
    accepted: dict[str, int] = field(default_factory=dict)
    port: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/unlock"

    async def start(self) -> None:
        async def receive(request: web.Request) -> web.Response:
            headers, body = dict(request.headers), await request.read()
            self.requests.append((headers, body))
            self.changed.set()
            if not self.accept:
                return web.Response(status=500)
            delivery = headers["X-Helpwire-Delivery"]
            self.accepted[delivery] = self.accepted.get(delivery, 0) + 1
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/unlock", receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # the same port when restarted
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Switch the POS off: from now on a delivery's connection is refused."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


async def until_row(server: LiveServer, delivery_id: str, condition: Callable[[Delivery], bool],
                    timeout: float = 10.0) -> Delivery:
    """The outbox row once it satisfies condition (looked at again after each change the worker
    stores, which it tells its status listeners)."""
    outbox = server.services.outbox
    assert outbox is not None
    changed = asyncio.Event()

    async def note(delivery: Delivery) -> None:
        changed.set()

    outbox.status_listeners.append(note)
    try:
        async with asyncio.timeout(timeout):
            while True:
                changed.clear()
                row = await outbox.repository.get(delivery_id)
                if row is not None and condition(row):
                    return row
                await changed.wait()
    finally:
        outbox.status_listeners.remove(note)


async def stored_row(settings_url: str, delivery_id: str) -> Delivery:
    """The row as the stopped server left it in its database file."""
    database = Database(settings_url)
    await database.start()
    try:
        row = await OutboxRepository(database).get(delivery_id)
    finally:
        await database.close()
    assert row is not None
    return row


async def approved_age_check(server: LiveServer) -> tuple[Agent, Client, str, dict[str, Any]]:
    """A customer asks for an age check, starts the camera, the agent approves; the agent's result."""
    responder = await agent(server, "lisa", "Lisa")
    customer, case_id, _ = await active_case(server, responder, CART)
    grant = ok(await customer.call("age_check_request", {"sku": SKU}))["grant"]
    grant_id = grant["grant_id"]
    await customer.wait_for("consent_prompt", lambda p: p["grant_id"] == grant_id)
    ok(await customer.call("consent_answer", {"grant_id": grant_id, "approve": True}))
    await responder.client.wait_for(
        "consent_state", lambda p: p["grant_id"] == grant_id and p["state"] == "granted")
    result = ok(await responder.call("age_check_decision", {
        "case_id": case_id, "grant_id": grant_id, "outcome": "approved"}))["result"]
    await customer.wait_for("item_unlocked")
    return responder, customer, case_id, result


async def test_a_webhook_failing_across_a_restart_reaches_the_pos_exactly_once(
    tmp_path: Path,
) -> None:
    pos = Receiver()
    await pos.start()
    settings = {**FAST_RETRIES, "consent__pos_webhook_url": pos.url, "outbox__attempts": 30}
    try:
        async with live_server(tmp_path, **settings) as first:
            responder, customer, case_id, result = await approved_age_check(first)
            delivery_id = result["delivery"]["delivery_id"]
            assert result["delivery"] == {"delivery_id": delivery_id, "status": "pending",
                                          "attempts": 0}
            # the POS answers 500 twice, then is switched off: connections are refused
            await pos.wait(lambda: len(pos.requests) >= 2)
            await pos.stop()
            refused = await until_row(first, delivery_id,
                                      lambda r: r.last_error == "ClientConnectorError")
            # the agent is told each failed attempt while the delivery keeps trying
            status = await responder.client.wait_for("webhook_status")
            assert status == {"case_id": case_id, "delivery_id": delivery_id,
                              "kind": "pos.item_unlocked", "status": "pending", "attempts": 1}
            await customer.close()
            await responder.client.close()
        left = await stored_row(first.settings.storage.resolved_database_url, delivery_id)
        assert left.status == "pending" and left.attempts >= refused.attempts
        assert left.claimed_until is None  # the stopped server gave its claim back

        # the POS is back and accepts; a new server on the same database takes the row up
        pos.accept = True
        await pos.start()
        before = len(pos.requests)
        async with live_server(tmp_path, **settings) as second:
            done = await until_row(second, delivery_id, lambda r: r.status == "delivered")
        assert pos.accepted == {delivery_id: 1}
        assert len(pos.requests) == before + 1
        assert done.attempts == left.attempts + 1 and done.delivered_at is not None
        assert {headers["X-Helpwire-Delivery"] for headers, _ in pos.requests} == {delivery_id}
        headers, body = pos.requests[-1]
        assert documented_verifier()(SECRET, headers, body, set())
        payload = json.loads(body)
        assert payload["event"] == "item_unlocked" and payload["delivery_id"] == delivery_id
        assert payload["case_id"] == case_id and payload["sku"] == SKU
        # the same body on every attempt; only the timestamp and signature are fresh
        assert {b for _, b in pos.requests} == {body}
    finally:
        await pos.stop()


async def test_a_webhook_the_pos_never_accepts_is_given_up_logged_counted_and_shown(
    tmp_path: Path,
) -> None:
    pos = Receiver()
    await pos.start()
    try:
        with capture_logs() as logs:
            async with live_server(tmp_path, **FAST_RETRIES, consent__pos_webhook_url=pos.url,
                                   outbox__attempts=3) as server:
                responder, customer, case_id, result = await approved_age_check(server)
                delivery_id = result["delivery"]["delivery_id"]
                final = await responder.client.wait_for(
                    "webhook_status", lambda s: s["status"] != "pending")
                assert final == {"case_id": case_id, "delivery_id": delivery_id,
                                 "kind": "pos.item_unlocked", "status": "given_up", "attempts": 3}
                row = await until_row(server, delivery_id, lambda r: r.status == "given_up")
                assert (row.attempts, row.last_error) == (3, "HTTP 500")
                assert len(pos.requests) == 3
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{server.url}/metrics") as response:
                        metrics = await response.text()
                assert "helpwire_outbox_given_up_total 1.0" in metrics
                assert "helpwire_outbox_failed_attempts_total 3.0" in metrics
                assert "helpwire_outbox_delivered_total 0.0" in metrics
                await customer.close()
                await responder.client.close()
        [gave_up] = [entry for entry in logs if entry["event"] == "webhook_gave_up"]
        assert gave_up["delivery_id"] == delivery_id and gave_up["attempts"] == 3
        assert gave_up["log_level"] == "error"
        # fixed text and ids only: nothing of the payload is logged
        assert not any(SKU in json.dumps(entry, default=str) for entry in logs
                       if str(entry["event"]).startswith("webhook_"))
    finally:
        await pos.stop()


async def test_the_first_attempt_follows_the_commit_without_waiting_for_a_poll(
    tmp_path: Path,
) -> None:
    pos = Receiver(accept=True)
    await pos.start()
    try:
        # a poll interval far longer than the test: only the wake-up can deliver in time
        async with live_server(tmp_path, **FAST_RETRIES, consent__pos_webhook_url=pos.url,
                               outbox__poll_seconds=3600) as server:
            responder, customer, case_id, result = await approved_age_check(server)
            delivery_id = result["delivery"]["delivery_id"]
            await pos.wait(lambda: bool(pos.accepted), timeout=3)
            status = await responder.client.wait_for("webhook_status")
            assert status["status"] == "delivered" and status["attempts"] == 1
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{server.url}/metrics") as response:
                    metrics = await response.text()
            assert "helpwire_outbox_delivered_total 1.0" in metrics
            assert "helpwire_outbox_pending 0.0" in metrics
            await customer.close()
            await responder.client.close()
        assert pos.accepted == {delivery_id: 1}
    finally:
        await pos.stop()


def test_the_wait_between_attempts_doubles_up_to_the_cap_and_the_last_attempt_gives_up() -> None:
    worker = OutboxWorker(OutboxRepository(Database("sqlite+aiosqlite:///:memory:")), {},
                          ManualClock(), attempts=6, backoff_seconds=1.0, backoff_cap_seconds=4.0,
                          poll_seconds=2.0, lease_seconds=60.0, stop_seconds=5.0)
    assert [worker.retry_delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 4.0, 4.0, None]


async def test_a_row_claimed_by_a_node_that_died_is_delivered_once_its_lease_runs_out(
    tmp_path: Path,
) -> None:
    pos = Receiver(accept=True)
    await pos.start()
    try:
        async with live_server(tmp_path, **FAST_RETRIES, consent__pos_webhook_url=pos.url,
                               outbox__poll_seconds=0.2) as server:
            # another node queued a row and claimed it for 1 s, then died: nobody woke this one
            other = Database(server.settings.storage.resolved_database_url)
            await other.start()
            try:
                repository = OutboxRepository(other)
                now = time.time()
                await repository.add([QueueWebhook("from-the-other-node", "pos.item_unlocked",
                                                   pos.url, {"event": "item_unlocked"}, now)])
                [claim] = await repository.claim_due(now, 1.0, 10)
            finally:
                await other.close()
            assert claim.claimed_until is not None
            await pos.wait(lambda: bool(pos.accepted), timeout=5)
            assert time.time() >= claim.claimed_until  # not before the dead node's lease ended
            row = await until_row(server, "from-the-other-node", lambda r: r.status == "delivered")
            assert row.attempts == 1
        assert pos.accepted == {"from-the-other-node": 1}
    finally:
        await pos.stop()
