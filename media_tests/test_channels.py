"""chat → voice → video → voice → chat in one case, on one peer connection per participant."""

from __future__ import annotations

import asyncio

from media_tests.calls import ok, open_case
from media_tests.synthetic import SyntheticTone, SyntheticVideo
from tests.support.live import LiveServer


async def test_chat_voice_video_and_back_with_the_channel_history_stored(server: LiveServer) -> None:
    call = await open_case(server, "lisa")
    try:
        # the customer asks for voice; the agent declines: still chat
        ok(await call.customer.call("media_request", {"channel": "voice"}))
        await call.agent.wait_for("media_proposed", lambda p: p["by"] == "customer")
        ok(await call.agent.call("media_decline", {"case_id": call.case_id}))
        await call.customer.wait_for("media_declined")

        # chat → voice: the agent proposes, the customer accepts with one tap
        await call.agree("voice")
        customer, agent = call.customer_peer(), call.agent_peer()
        customer.send(SyntheticTone(440))
        agent.send(SyntheticTone(660))
        await asyncio.gather(customer.negotiate(), agent.negotiate())
        for side in (call.customer, call.agent):
            await side.wait_for("media_state", lambda p: p["state"] == "connected")
        await asyncio.gather(customer.wait_audio(25), agent.wait_audio(25))
        assert abs(customer.received.tone() - 660) < 15 and abs(agent.received.tone() - 440) < 15

        # voice → video: each side adds a camera and renegotiates on the same connection
        await call.agree("video")
        first_pc = (customer.pc, agent.pc)
        customer.send(SyntheticVideo(1))
        agent.send(SyntheticVideo(2))
        customer.trickle = agent.trickle = False  # same transport: no new candidates
        await asyncio.gather(customer.negotiate(), agent.negotiate())
        await asyncio.gather(customer.wait_video(10), agent.wait_video(10))
        assert customer.received.senders() == {2} and agent.received.senders() == {1}
        assert (customer.pc, agent.pc) == first_pc
        assert len(server.services.media.cases[call.case_id].peers) == 2  # type: ignore[union-attr]

        # video → voice needs nobody's consent; then hang up back to chat
        ok(await call.customer.call("media_request", {"channel": "voice"}))
        await call.agent.wait_for("media_state", lambda p: p["channel"] == "voice"
                                  and p.get("reason") == "downgrade")
        ack = ok(await call.agent.call("media_hangup", {"case_id": call.case_id}))
        assert ack["media"]["channel"] == "chat" and ack["media"]["state"] == "ended"
        state = await call.customer.wait_for("media_state", lambda p: p["state"] == "ended")
        assert state == {"case_id": call.case_id, "channel": "chat", "state": "ended",
                         "reason": "hangup", "by": "agent"}
        assert call.case_id not in server.services.media.cases  # type: ignore[union-attr]

        # the case goes on in chat
        ok(await call.customer.call("chat_send", {"text": "Tack, nu fungerar det"}))
        await call.agent.wait_for("chat_message", lambda m: m["text"] == "Tack, nu fungerar det")

        await server.flush()
        events = await server.services.cases.events(call.case_id)
        channels = [(e["detail"]["from_channel"], e["detail"]["to_channel"], e["detail"]["by"])
                    for e in events if e["kind"] == "channel"]
        assert channels == [("chat", "voice", "customer"), ("voice", "video", "customer"),
                            ("video", "voice", "customer"), ("voice", "chat", "agent")]
        times = [e["at"] for e in events if e["kind"] == "channel"]
        assert times == sorted(times)
        kinds = [e["kind"] for e in events]
        assert "media_declined" in kinds and "media_connected" in kinds
    finally:
        await call.close()


async def test_voice_first_case_starts_in_voice_when_the_agent_accepts(server: LiveServer) -> None:
    call = await open_case(server, "nils", context={"store": "store-042", "offline_mode": True},
                           skills=("oncall",))
    try:
        for side in (call.customer, call.agent):
            state = await side.wait_for("media_state")
            assert state["channel"] == "voice" and state["state"] == "negotiating"
            assert state["reason"] == "voice_first" and state["ice_servers"] == []
        customer, agent = call.customer_peer(), call.agent_peer()
        customer.send(SyntheticTone(440))
        agent.send(SyntheticTone(660))
        await asyncio.gather(customer.negotiate(), agent.negotiate())
        await call.agent.wait_for("media_state", lambda p: p["state"] == "connected")
        ok(await call.customer.call("chat_send", {"text": "chat stays open beside the call"}))
        await server.flush()
        events = await server.services.cases.events(call.case_id)
        assert [(e["detail"]["to_channel"], e["detail"]["by"]) for e in events
                if e["kind"] == "channel"] == [("voice", "rule")]
    finally:
        await call.close()


async def test_hints_voice_after_chat_time_and_video_on_marks(media_server: object) -> None:
    async with media_server(media__voice_hint_after_seconds=0.3) as server:  # type: ignore[operator]
        call = await open_case(server, "lisa")
        try:
            hint = await call.agent.wait_for("media_hint", timeout=5)
            assert hint == {"case_id": call.case_id, "suggest": "voice", "reason": "chat_duration",
                            "after_seconds": 0}
            ok(await call.agent.call("media_mark", {"case_id": call.case_id,
                                                    "mark": "needs_verification"}))
            hint = await call.agent.wait_for("media_hint", lambda h: h["suggest"] == "video")
            assert hint["reason"] == "needs_verification"
            assert "media_hint" not in call.customer.received
        finally:
            await call.close()
