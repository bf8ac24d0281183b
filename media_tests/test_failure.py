"""A participant who vanishes mid-call: noticed promptly, resources freed, the case goes on in chat."""

from __future__ import annotations

import asyncio
import time

from media_tests.calls import CUSTOMER_NS, ok, open_case
from media_tests.synthetic import SyntheticTone, SyntheticVideo, until
from tests.support.live import LiveServer, connect


async def _in_video_call(server: LiveServer, username: str):  # type: ignore[no-untyped-def]
    call = await open_case(server, username)
    await call.agree("video")
    customer, agent = call.customer_peer(), call.agent_peer()
    for peer, n in ((customer, 1), (agent, 2)):
        peer.send(SyntheticTone(440 * n))
        peer.send(SyntheticVideo(n))
    await asyncio.gather(customer.negotiate(), agent.negotiate())
    await asyncio.gather(customer.wait_video(5), agent.wait_video(5))
    return call, customer, agent


async def test_customer_socket_closed_mid_call(server: LiveServer) -> None:
    call, customer, agent = await _in_video_call(server, "lisa")
    try:
        started = time.monotonic()
        await call.customer.close()  # the customer's peer connection is left open, silent
        state = await call.agent.wait_for("media_state", lambda p: p["state"] == "failed")
        noticed = time.monotonic() - started
        print(f"\nsocket loss noticed after {noticed * 1000:.0f} ms")
        assert noticed < 2.0
        assert state["channel"] == "chat" and state["reason"] == "peer_lost"
        assert server.services.media.cases == {}  # type: ignore[union-attr]

        # the customer comes back (page reload) and the case goes on in chat
        back = await connect(server.url, CUSTOMER_NS)
        call.customer = back
        ok(await back.call("resume", {"case_token": call.case_token}))
        ok(await back.call("chat_send", {"text": "Är du kvar?"}))
        await call.agent.wait_for("chat_message", lambda m: m["text"] == "Är du kvar?")

        # and a new call can be set up in the same case
        await call.agree("voice")
        await server.flush()
        events = await server.services.cases.events(call.case_id)
        failed = [e["detail"] for e in events if e["kind"] == "media_failed"]
        assert failed == [{"role": "customer", "reason": "peer_lost", "channel": "video"}]
    finally:
        await call.close()


async def test_peer_connection_closed_without_a_word(server: LiveServer) -> None:
    call, customer, agent = await _in_video_call(server, "lisa")
    try:
        started = time.monotonic()
        await customer.pc.close()  # no hang-up, no socket event: only the media link goes
        for side in (call.agent, call.customer):
            state = await side.wait_for("media_state", lambda p: p["state"] == "failed")
            assert state["channel"] == "chat"
        noticed = time.monotonic() - started
        print(f"\npeer connection loss noticed after {noticed * 1000:.0f} ms ({state['reason']})")
        assert noticed < 5.0
        await until(lambda: agent.pc.connectionState in ("closed", "failed"), 5,
                    "the server to end the agent's media")
        assert server.services.media.cases == {}  # type: ignore[union-attr]
        ok(await call.customer.call("chat_send", {"text": "Bilden försvann"}))
        await call.agent.wait_for("chat_message", lambda m: m["text"] == "Bilden försvann")
    finally:
        await call.close()


async def test_case_end_ends_the_call(server: LiveServer) -> None:
    call, customer, agent = await _in_video_call(server, "lisa")
    try:
        ok(await call.agent.call("conversation_end", {"case_id": call.case_id}))
        state = await call.customer.wait_for("media_state", lambda p: p["state"] == "ended")
        assert state["reason"] == "case_ended"
        assert server.services.media.cases == {}  # type: ignore[union-attr]
    finally:
        await call.close()


async def test_call_and_chat_link_both_gone_takes_the_technical_error_path(
    media_server,  # type: ignore[no-untyped-def]
) -> None:
    async with media_server(dispatch__customer_grace_seconds=0.5) as server:
        call, customer, agent = await _in_video_call(server, "lisa")
        try:
            await call.customer.close()  # the page is gone: no socket, no media
            await call.agent.wait_for("media_state", lambda p: p["state"] == "failed")
            left = await call.agent.wait_for("customer_left")
            assert left == {"case_id": call.case_id}
            await server.flush()
            row = await server.services.cases.get(call.case_id)
            assert row is not None and row["state"] == "callback_requested"
            callback = await server.services.cases.get_callback(call.case_id)
            assert callback is not None and callback["reason"] == "connection_lost"
        finally:
            await call.close()
