"""Offers: who is rung first, what happens when nobody answers or someone says no."""

from __future__ import annotations

from typing import Any

from tests.support.live import LiveServer

from .helpers import agent, context, customer, ok, press_help


async def test_an_unanswered_offer_moves_on_and_the_silent_agent_is_set_away(
    server_factory: Any,
) -> None:
    async with server_factory(dispatch__offer_timeout_seconds=0.5) as server:
        lisa = await agent(server, "lisa", "Lisa")
        omar = await agent(server, "omar", "Omar")
        shopper = await customer(server)
        case_id = (await press_help(shopper))["case_id"]

        # Lisa has been idle longest, so she is rung first
        offer = await lisa.client.wait_for("offer", lambda o: o["case_id"] == case_id)
        assert 0 < offer["expires_in"] <= 0.5

        withdrawn = await lisa.client.wait_for("offer_withdrawn", timeout=3)
        assert withdrawn == {"case_id": case_id, "reason": "timeout"}
        presence = await lisa.client.wait_for("presence", lambda p: p.get("reason") is not None)
        assert presence == {"presence": "away", "reason": "missed_offer"}
        moved = await omar.client.wait_for("offer", lambda o: o["case_id"] == case_id, timeout=3)
        assert moved["queue"] == "general"

        # Lisa, now away, cannot take the lapsed offer any more; Omar can
        refused = await lisa.call("offer_accept", {"case_id": case_id})
        assert refused["ok"] is False and refused["error"]["code"] == "offer_not_found"
        ok(await omar.call("offer_accept", {"case_id": case_id}))
        joined = await shopper.wait_for("agent_joined")
        assert joined["agent_name"] == "Omar"

        await server.flush()
        events = await server.services.cases.events(case_id)
        lapsed = [e for e in events if e["detail"].get("reason") == "offer_timeout"]
        assert [(e["from_state"], e["to_state"]) for e in lapsed] == [("offered", "queued")]
        assert lapsed[0]["detail"]["agent_id"] == lisa.id
        offered_to = [e["detail"]["agent_id"] for e in events if e["to_state"] == "offered"]
        assert offered_to == [lisa.id, omar.id]
        assert lapsed[0]["at"] - events[2]["at"] >= 0.5


async def test_a_declined_offer_goes_to_the_next_agent(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    omar = await agent(server, "omar", "Omar")
    shopper = await customer(server)
    case_id = (await press_help(shopper))["case_id"]
    await lisa.client.wait_for("offer", lambda o: o["case_id"] == case_id)

    ok(await lisa.call("offer_decline", {"case_id": case_id}))
    withdrawn = await lisa.client.wait_for("offer_withdrawn")
    assert withdrawn == {"case_id": case_id, "reason": "declined"}
    await omar.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    # declining is not missing: Lisa stays available
    assert all(p.get("reason") is None for p in lisa.client.received["presence"])
    ok(await omar.call("offer_accept", {"case_id": case_id}))
    assert (await shopper.wait_for("agent_joined"))["agent_name"] == "Omar"


async def test_an_english_speaker_goes_to_the_english_queue_and_not_to_a_swedish_only_agent(
    server: LiveServer,
) -> None:
    sara = await agent(server, "sara", "Sara", languages=("sv",))
    john = await agent(server, "john", "John", languages=("en",), available=False)
    shopper = await customer(server)
    helped = await press_help(shopper, context(language="en"))
    case_id = helped["case_id"]
    assert helped["case"]["queue"] == "english"
    assert helped["case"]["language"] == "en"
    status = await shopper.wait_for("queue_status")
    assert status["queue"] == "english"
    assert status["queue_title"]["en"] == "English queue"

    await john.available()
    offer = await john.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    assert offer["queue"] == "english"
    assert offer["summary"]["language"] == "en" and offer["summary"]["rule"] == "english"
    # a round trip on Sara's socket: anything sent to her earlier has arrived by now
    ok(await sara.call("queues_get", {}))
    assert sara.client.received.get("offer", []) == []
    ok(await john.call("offer_accept", {"case_id": case_id}))
    assert (await shopper.wait_for("agent_joined"))["agent_name"] == "John"


async def test_offline_mode_goes_to_the_on_call_queue_voice_first(server: LiveServer) -> None:
    await agent(server, "omar", "Omar", available=False)  # no on-call skill: not for this case
    kim = await agent(server, "kim", "Kim", skills=("oncall",))
    shopper = await customer(server)
    helped = await press_help(shopper, context(offline_mode=True, network="offline",
                                               payment_step="payment"))
    case_id = helped["case_id"]
    assert helped["case"]["queue"] == "oncall"
    assert helped["case"]["first_channel"] == "voice"

    offer = await kim.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    assert offer["summary"]["first_channel"] == "voice"
    assert offer["summary"]["rule"] == "offline-mode"
    ok(await kim.call("offer_accept", {"case_id": case_id}))
    joined = await shopper.wait_for("agent_joined")
    assert joined == {"case_id": case_id, "agent_name": "Kim", "first_channel": "voice"}
