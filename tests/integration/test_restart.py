"""A restart resumes live cases: what was acknowledged is stored, and the stored cases come back.

Each test stops a real server and starts a new one on the same database and secret, as a
restart of the process would; clients reconnect to the new one.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from server.core.case import CaseState
from server.core.clock import ManualClock
from server.core.engine.base import promise_start
from server.store import CaseRepository, Database
from server.store.tables import case_events, live_chat_text
from tests.support.live import live_server
from tests.support.postgres import drop_helpwire_tables, require_postgres

from .helpers import (
    active_case,
    agent,
    agent_session,
    chat_round_trip,
    customer,
    ok,
    press_help,
    refused,
)

T0 = 1_800_000_000.0
S = CaseState


async def _stored(url: str) -> tuple[CaseRepository, Database]:
    database = Database(url)
    await database.start()
    return CaseRepository(database), database


async def test_an_acknowledged_chat_line_is_already_stored_when_the_ack_arrives(
    server_factory: Any,
) -> None:
    async with server_factory() as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)

        sent = ok(await shopper.call("chat_send", {"text": "Kortet nekas", "client_id": "c-1"}))

        # read by a second connection, without waiting for any flush
        repo, database = await _stored(server.settings.storage.resolved_database_url)
        try:
            async with database.connect() as conn:
                lines = (await conn.execute(
                    sa.select(case_events.c.detail).where(case_events.c.case_id == case_id,
                                                          case_events.c.kind == "chat_line")
                )).scalars().all()
                texts = (await conn.execute(sa.select(live_chat_text.c.text))).scalars().all()
        finally:
            await database.close()
        assert [line["message_id"] for line in lines] == [sent["message"]["id"]]
        assert lines[0]["client_id"] == "c-1"
        assert texts == ["Kortet nekas"]


async def test_after_a_restart_customer_and_agent_resume_the_conversation(
    server_factory: Any,
) -> None:
    async with server_factory() as first:
        lisa = await agent(first, "lisa", "Lisa")
        shopper, case_id, help_ack = await active_case(first, lisa)
        await chat_round_trip(shopper, lisa, case_id, "before")
    # the first server is gone: a new process starts on the same database

    async with server_factory() as second:
        shopper = await customer(second)
        resumed = ok(await shopper.call("resume", {"case_token": help_ack["case_token"]}))
        assert resumed["case"]["state"] == "active"
        assert resumed["case"]["agent_name"] == "Lisa"
        assert [m["text"] for m in resumed["case"]["messages"]] == ["customer before", "agent before"]

        lisa = await agent_session(second, lisa.id, lisa.token)
        assigned = await lisa.client.wait_for("case_assigned", lambda c: c["case_id"] == case_id)
        assert [m["text"] for m in assigned["messages"]] == ["customer before", "agent before"]
        assert assigned["customer_connected"] is True
        await chat_round_trip(shopper, lisa, case_id, "after")


async def test_delivery_marks_survive_a_restart_for_both_sides(server_factory: Any) -> None:
    async with server_factory() as first:
        lisa = await agent(first, "lisa", "Lisa")
        shopper, case_id, help_ack = await active_case(first, lisa)
        sent = ok(await shopper.call("chat_send", {"text": "Kortet nekas"}))["message"]
        reply = ok(await lisa.call("chat_send", {"case_id": case_id, "text": "Jag kollar"}))["message"]
        ok(await lisa.call("chat_received", {"case_id": case_id, "message_id": sent["id"]}))
        await shopper.wait_for("chat_delivered", lambda d: d["message_id"] == sent["id"], timeout=3)
        ok(await shopper.call("chat_received", {"message_id": reply["id"]}))
        unread = ok(await shopper.call("chat_send", {"text": "Hallå?"}))["message"]

    async with server_factory() as second:
        shopper = await customer(second)
        resumed = ok(await shopper.call("resume", {"case_token": help_ack["case_token"]}))
        assert [(m["id"], m["delivery"]) for m in resumed["case"]["messages"]] == [
            (sent["id"], "delivered"), (reply["id"], "delivered"), (unread["id"], "sent")]
        lisa = await agent_session(second, lisa.id, lisa.token)
        assigned = await lisa.client.wait_for("case_assigned", lambda c: c["case_id"] == case_id)
        assert [m["delivery"] for m in assigned["messages"]] == ["delivered", "delivered", "sent"]


async def test_a_call_does_not_survive_a_restart_the_case_is_in_chat_and_one_tap_calls_again(
    server_factory: Any,
) -> None:
    async with server_factory() as first:
        lisa = await agent(first, "lisa", "Lisa")
        shopper, case_id, help_ack = await active_case(first, lisa)
        ok(await lisa.call("media_propose", {"case_id": case_id, "channel": "voice"}))
        await shopper.wait_for("media_proposed")
        ok(await shopper.call("media_accept", {}))
        await lisa.client.wait_for("media_state", lambda m: m["state"] == "negotiating")

    async with server_factory() as second:
        shopper = await customer(second)
        ok(await shopper.call("resume", {"case_token": help_ack["case_token"]}))
        lisa = await agent_session(second, lisa.id, lisa.token)
        view = ok(await shopper.call("media_config", {}))
        assert (view["media"]["channel"], view["media"]["state"]) == ("chat", "idle")
        # one tap on the console, one on the customer's side: the call is agreed again
        ok(await lisa.call("media_propose", {"case_id": case_id, "channel": "voice"}))
        proposed = await shopper.wait_for("media_proposed")
        assert proposed["channel"] == "voice" and proposed["ice_servers"] == []
        ok(await shopper.call("media_accept", {}))
        await lisa.client.wait_for("media_state", lambda m: m["state"] == "negotiating")
        await chat_round_trip(shopper, lisa, case_id, "meanwhile")


async def test_after_a_restart_waiting_customers_keep_their_order_and_their_promise_clock(
    server_factory: Any,
) -> None:
    async with server_factory() as first:
        await agent(first, "omar", "Omar", available=False)  # can answer, but is away
        early, late = await customer(first), await customer(first)
        early_ack, late_ack = await press_help(early), await press_help(late)
        queued_at = {c.id: c.first_entered(c.state) for c in first.services.engine.live_cases()}

    async with server_factory() as second:
        late = await customer(second)  # the later one comes back first
        ok(await late.call("resume", {"case_token": late_ack["case_token"]}))
        early = await customer(second)
        ok(await early.call("resume", {"case_token": early_ack["case_token"]}))

        waiting = second.services.engine.state.waiting("general")
        assert [e.case_id for e in waiting] == [early_ack["case_id"], late_ack["case_id"]]
        engine = second.services.engine
        assert {c.id: c.first_entered(c.state) for c in engine.live_cases()} == queued_at
        # the one who came back first waited alone for a moment; once the earlier customer is
        # back too, they are in front again
        await late.wait_for("queue_status", lambda s: s["position"] == 2)


async def test_an_offer_does_not_survive_a_restart_but_its_case_is_offered_again(
    server_factory: Any,
) -> None:
    async with server_factory() as first:
        lisa = await agent(first, "lisa", "Lisa")
        shopper = await customer(first)
        help_ack = await press_help(shopper)
        await lisa.client.wait_for("offer", lambda o: o["case_id"] == help_ack["case_id"])

    async with server_factory() as second:
        shopper = await customer(second)
        resumed = ok(await shopper.call("resume", {"case_token": help_ack["case_token"]}))
        assert resumed["case"]["state"] == "queued"
        lisa = await agent_session(second, lisa.id, lisa.token)
        offer = await lisa.client.wait_for("offer", lambda o: o["case_id"] == help_ack["case_id"])
        ok(await lisa.call("offer_accept", {"case_id": offer["case_id"]}))
        await shopper.wait_for("agent_joined")


async def test_cases_nobody_comes_back_to_are_ended_by_the_usual_rules_never_left_open(
    tmp_path: Path,
) -> None:
    clock = ManualClock(T0)
    async with live_server(tmp_path, clock) as first:
        lisa = await agent(first, "lisa", "Lisa", max_concurrent=1)
        _, active_id, _ = await active_case(first, lisa)
        waiting_id = (await press_help(await customer(first)))["case_id"]

    grace = {"durability": {"restart_grace_seconds": 20.0}}
    async with live_server(tmp_path, clock, **grace) as second:
        engine, hub = second.services.engine, second.services.hub
        clock.advance(19)
        await hub.run(engine.tick())
        assert {engine.case(active_id).state.value, engine.case(waiting_id).state.value} == {
            "active", "queued"}  # still within the restart grace
        clock.advance(2)
        await hub.run(engine.tick())
        repo, database = await _stored(second.settings.storage.resolved_database_url)
        try:
            rows = {cid: await repo.get(cid) for cid in (active_id, waiting_id)}
        finally:
            await database.close()
    assert rows[waiting_id] is not None and rows[waiting_id]["state"] == "abandoned"
    # nobody could take over from the agent who never came back: the technical-error path
    assert rows[active_id] is not None and rows[active_id]["state"] == "callback_requested"


async def test_a_kiosk_that_asked_for_a_callback_can_press_help_again_at_once(
    server_factory: Any,
) -> None:
    async with server_factory() as server:
        await agent(server, "omar", "Omar", available=False)
        kiosk = await customer(server, "/kiosk", {"kiosk_id": "k-7"})
        ack = ok(await kiosk.call("help_request", {"context": {"store": "s1", "channel": "kiosk"}}))
        ok(await kiosk.call("callback_request", {"contact": None}))

        closed = ok(await kiosk.call("cancel", {}))  # the overlay is closed afterwards
        assert closed["case"]["state"] == "callback_requested"
        again = ok(await kiosk.call("help_request", {"context": {"store": "s1", "channel": "kiosk"}}))
        assert again["case_id"] != ack["case_id"]


async def test_while_the_store_cannot_be_written_case_changes_are_refused_and_nothing_changes(
    server_factory: Any,
) -> None:
    settings = {"durability": {"write_timeout_seconds": 0.2, "retry_initial_seconds": 0.05,
                               "retry_max_seconds": 0.1, "shutdown_flush_seconds": 0.2}}
    async with server_factory(**settings) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        persister = server.services.persister
        await server.close_database()  # every write fails from now on

        waiting = shopper.call("chat_send", {"text": "first", "client_id": "c-1"}, timeout=30)
        pending = asyncio.ensure_future(waiting)
        await asyncio.wait_for(persister.health.degraded.wait(), 10)
        assert not pending.done()  # not acknowledged: it is not stored

        error = refused(await shopper.call("chat_send", {"text": "second"}), "storage_unavailable")
        assert "nothing was changed" in error["message"]
        assert [m.text for m in server.services.engine.chats.of(case_id)] == ["first"]
        pending.cancel()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The settings of one database both processes use: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield {}
        return
    url = await require_postgres()
    await drop_helpwire_tables(url)
    try:
        yield {"storage__database_url": url}
    finally:
        await drop_helpwire_tables(url)


async def test_every_live_case_is_rebuilt_from_its_stored_events_with_its_place_and_clock(
    tmp_path: Path, database: dict[str, Any],
) -> None:
    clock = ManualClock(T0)
    async with live_server(tmp_path, clock, **database) as first:
        engine, hub = first.services.engine, first.services.hub
        lisa = await agent(first, "lisa", "Lisa", max_concurrent=2)
        shopper, active_id, _ = await active_case(first, lisa)
        ok(await shopper.call("chat_send", {"text": "Kortet nekas", "client_id": "c-1"}))
        _, wrap_up_id, _ = await active_case(first, lisa)
        ok(await lisa.call("conversation_end", {"case_id": wrap_up_id}))
        # lisa is full: the next customers wait, the first long enough to be offered a callback
        at_risk = (await press_help(await customer(first)))["case_id"]
        clock.advance(51)  # the 60 s promise is at risk: act 10 s before it would break
        await hub.run(engine.tick())
        assert engine.case(at_risk).callback_offered
        later = (await press_help(await customer(first)))["case_id"]
        omar = await agent(first, "omar", "Omar")
        await omar.client.wait_for("offer", lambda o: o["case_id"] == at_risk)
        states = {c.state for c in engine.live_cases()}
        place = [e.case_id for e in engine.state.waiting("general")]
    assert states == {S.ACTIVE, S.WRAP_UP, S.OFFERED, S.QUEUED}
    # what the first process held when it stopped (its agents' going withdrew the offer)
    before = {c.id: copy.deepcopy(c) for c in engine.live_cases()}
    assert place == [at_risk, later]  # the ringing case keeps its place until answered

    clock.advance(5)  # the restart took 5 s
    async with live_server(tmp_path, clock, **database) as second:
        engine = second.services.engine
        for case_id, was in before.items():
            now = engine.case(case_id)
            # the stored history folds to exactly the case the first process held
            assert now == was
            assert promise_start(now) == promise_start(was)
        assert [e.case_id for e in engine.state.waiting("general")] == place
        assert engine.case(at_risk).callback_offered  # not offered a second time
        assert [m.text for m in engine.chats.of(active_id)] == ["Kortet nekas"]
        assert engine.case(wrap_up_id).agent_name == "Lisa"
