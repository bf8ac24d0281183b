"""Reloads and dropped connections: who keeps what, and for how long."""

from __future__ import annotations

from typing import Any

from tests.support.live import LiveServer

from .helpers import (
    PAYMENT_CONTEXT,
    active_case,
    agent,
    agent_session,
    chat_round_trip,
    context,
    count,
    customer,
    fresh,
    ok,
    press_help,
)


async def test_a_waiting_customer_who_reconnects_within_the_grace_keeps_their_place(
    server: LiveServer,
) -> None:
    # someone who can answer is signed in but away, so both customers wait
    await agent(server, "omar", "Omar", available=False)
    first = await customer(server)
    first_help = await press_help(first)
    second = await customer(server)
    second_help = await press_help(second)
    assert (await first.wait_for("queue_status"))["position"] == 1
    assert (await second.wait_for("queue_status"))["position"] == 1 + 1

    await first.close()
    first = await customer(server)
    resumed = ok(await first.call("resume", {"case_token": first_help["case_token"]}))
    assert resumed["case_id"] == first_help["case_id"]
    assert resumed["case"]["state"] == "queued"
    assert resumed["case"]["position"] == 1
    # the new socket is told its place again; the other customer, told they were next while
    # the first was away, is back behind them
    status = await first.wait_for("queue_status")
    assert (status["case_id"], status["position"]) == (first_help["case_id"], 1)
    await second.wait_for("queue_status", lambda s: len(second.received["queue_status"]) == 1 + 2)
    assert [s["position"] for s in second.received["queue_status"]] == [2, 1, 2]

    waiting = server.services.engine.state.waiting("general")
    assert [entry.case_id for entry in waiting] == [first_help["case_id"], second_help["case_id"]]


async def test_an_agent_who_reloads_mid_case_gets_the_case_back_and_keeps_it(
    server: LiveServer,
) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)
    await chat_round_trip(shopper, lisa, case_id, "before reload")

    await lisa.client.close()
    lisa = await agent_session(server, lisa.id, lisa.token, available=False)
    assigned = await lisa.client.wait_for("case_assigned", lambda c: c["case_id"] == case_id)
    assert assigned["state"] == "active"
    assert [m["text"] for m in assigned["messages"]] == ["customer before reload", "agent before reload"]
    # presence survives a reload within the grace period
    assert lisa.hello["presence"] == "available"

    await chat_round_trip(shopper, lisa, case_id, "after reload")
    assert "agent_lost" not in shopper.received
    case = server.services.engine.case(case_id)
    assert (case.state.value, case.agent_id) == ("active", lisa.id)


async def test_an_agent_gone_past_the_grace_loses_the_case_to_the_front_of_the_queue(
    server_factory: Any,
) -> None:
    async with server_factory(dispatch__agent_grace_seconds=0.3) as server:
        lisa = await agent(server, "lisa", "Lisa", skills=("payments",), max_concurrent=1)
        # a second payments agent is signed in, on a break for now
        omar = await agent(server, "omar", "Omar", skills=("payments",), max_concurrent=1,
                           available=False)
        ctx = context(PAYMENT_CONTEXT)
        first, first_id, _ = await active_case(server, lisa, ctx)
        # a second payment case arrives while Lisa is full: it waits, older than any re-queue
        second = await customer(server)
        second_help = await press_help(second, ctx)
        assert (await second.wait_for("queue_status"))["position"] == 1

        await lisa.client.close()
        lost = await first.wait_for("agent_lost", timeout=3)
        assert lost == {"case_id": first_id}
        # back in the queue, ahead of the case that has waited longer
        status = await first.wait_for("queue_status", lambda s: s["position"] == 1)
        assert status["queue"] == "payment-experts"
        await second.wait_for("queue_status", lambda s: s["position"] == 1 + 1)

        await omar.available()
        offer = await omar.client.wait_for("offer")
        assert offer["case_id"] == first_id
        ok(await omar.call("offer_accept", {"case_id": first_id}))
        joined = await first.wait_for("agent_joined", lambda e: e["agent_name"] == "Omar")
        assert joined["case_id"] == first_id
        assert second_help["case_id"] not in [o["case_id"] for o in omar.client.received["offer"]]

        await server.flush()
        events = await server.services.cases.events(first_id)
        states = [e["to_state"] for e in events if e["kind"] == "transition"]
        assert states == ["created", "queued", "offered", "active", "queued", "offered", "active"]
        requeued = [e for e in events if e["to_state"] == "queued"][-1]
        assert requeued["detail"] == {"reason": "agent_lost", "agent_id": lisa.id}


async def test_an_agent_gone_past_the_grace_with_nobody_to_take_over_becomes_a_callback(
    server_factory: Any,
) -> None:
    async with server_factory(dispatch__agent_grace_seconds=0.3) as server:
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        await lisa.client.close()
        assert await shopper.wait_for("agent_lost", timeout=3) == {"case_id": case_id}
        error = await shopper.wait_for("technical_error", timeout=3)
        assert error == {"case_id": case_id, "reason": "agent_connection_failed",
                         "cart_hold_seconds": 300}
        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None and row["state"] == "callback_requested"
        callback = await server.services.cases.get_callback(case_id)
        assert callback is not None and callback["reason"] == "agent_connection_failed"


async def test_a_waiting_customer_gone_past_the_grace_has_abandoned_the_case(
    server_factory: Any,
) -> None:
    async with server_factory(dispatch__customer_grace_seconds=0.3) as server:
        omar = await agent(server, "omar", "Omar", available=False)
        shopper = await customer(server)
        helped = await press_help(shopper)
        case_id = helped["case_id"]
        await omar.client.wait_for("queues", lambda q: _waiting(q, case_id))

        mark = count(omar.client, "queues")
        await shopper.close()
        # away at once (not counted, place kept), abandoned once the grace is over
        away = await fresh(omar.client, "queues", lambda q: not _waiting(q, case_id),
                           since=mark, timeout=3)
        assert _away(away) == 1
        await fresh(omar.client, "queues", lambda q: _away(q) == 0, since=mark, timeout=3)
        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None and row["state"] == "abandoned"
        events = await server.services.cases.events(case_id)
        assert events[-1]["to_state"] == "abandoned"
        assert events[-1]["detail"] == {"reason": "customer_disconnected"}
        assert events[-1]["at"] - events[1]["at"] >= 0.3



def _waiting(overview: dict[str, Any], case_id: str) -> bool:
    return any(c["case_id"] == case_id for q in overview["queues"] for c in q["cases"])


def _away(overview: dict[str, Any]) -> int:
    return sum(q["away"] for q in overview["queues"])
