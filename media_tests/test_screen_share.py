"""A kiosk's screen share through a real server: the server cuts it off on time, whatever the kiosk does.

The kiosk is an aiortc peer sending a numbered "screen" track (sender id SCREEN) on a consented
m-line; the agent receives on its own labelled m-line. Each frame carries its send time, so "no
frame sent after the deadline plus 1 s reached the agent" is checked frame by frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from media_tests.calls import Case, ok
from media_tests.synthetic import ClientPeer, SyntheticVideo, now_ms, until
from server.media.relay import CaseRelay
from tests.support.live import LiveServer, connect

SCREEN = 9
KIOSK_NS = "/kiosk"


async def open_kiosk_case(server: LiveServer, username: str) -> Case:
    agent_id = await server.create_agent(username, username.title())
    token = await server.login(username)
    agent = await connect(server.url, "/agent", auth={"token": token})
    ok(await agent.call("agent_hello", {}))
    ok(await agent.call("presence_set", {"presence": "available"}))
    kiosk = await connect(server.url, KIOSK_NS, auth={"kiosk_id": "kassa-7"})
    ack = ok(await kiosk.call("help_request", {"context": {"store": "store-042", "language": "sv"}}))
    case_id = ack["case_id"]
    await agent.wait_for("offer", lambda o: o["case_id"] == case_id)
    ok(await agent.call("offer_accept", {"case_id": case_id}))
    ok(await agent.call("presence_set", {"presence": "busy"}))
    await kiosk.wait_for("agent_joined")
    return Case(server, agent, kiosk, case_id, ack["case_token"], agent_id)


async def start_share(call: Case) -> tuple[str, dict[str, Any], ClientPeer, ClientPeer, SyntheticVideo]:
    """The agent asks, the kiosk taps Approve, both peers carry the screen; frames are flowing."""
    grant = ok(await call.agent.call("consent_request",
                                     {"case_id": call.case_id, "scope": "screen_share"}))["grant"]
    grant_id = grant["grant_id"]
    prompt = await call.customer.wait_for("consent_prompt", lambda p: p["grant_id"] == grant_id)
    assert prompt["scope"] == "screen_share" and prompt["answer_within"] > 0
    ok(await call.customer.call("consent_answer", {"grant_id": grant_id, "approve": True}))
    state = await call.agent.wait_for(
        "consent_state", lambda p: p["grant_id"] == grant_id and p["state"] == "granted")
    kiosk, agent = call.customer_peer(), call.agent_peer()
    screen = SyntheticVideo(SCREEN)
    kiosk.send(screen, label="screen_share")
    agent.receive_only("video", label="screen_share")
    await asyncio.gather(kiosk.negotiate(), agent.negotiate())
    await asyncio.gather(kiosk.wait_connected(), agent.wait_connected())
    await agent.wait_video(10, timeout=10)
    assert agent.received.senders() == {SCREEN}
    return grant_id, state, kiosk, agent, screen


def relay(server: LiveServer, case_id: str) -> CaseRelay:
    return server.services.media.cases[case_id].relay  # type: ignore[union-attr]


async def test_the_server_stops_the_screen_at_the_deadline_although_the_kiosk_keeps_sending(
    media_server: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with media_server(consent__screen_share_seconds=2) as server:
        call = await open_kiosk_case(server, "lisa")
        try:
            # wall clock and the frames' clock, read together, to put the deadline on frames
            grant_id, state, kiosk, agent, screen = await start_share(call)
            deadline_ms = now_ms() + (state["expires_at"] - time.time()) * 1000
            ended = await call.agent.wait_for("consent_ended", lambda p: p["grant_id"] == grant_id,
                                              timeout=5)
            assert ended["reason"] == "expired"
            told = await call.customer.wait_for("consent_ended", lambda p: p["grant_id"] == grant_id)
            assert told["reason"] == "expired"
            # the kiosk ignores that and keeps sending for another 2.5 s
            sent_before = screen.number
            await until(lambda: now_ms() > deadline_ms + 2500, 5, "time to pass")
            assert screen.number > sent_before + 20, "the kiosk kept sending"
            assert relay(server, call.case_id).sources[("customer", "screen_share")].withheld > 10
            late = [(n, sent, got) for _, n, sent, got in agent.received.video
                    if sent > deadline_ms + 1000 or got > deadline_ms + 1000]
            assert late == [], f"frames reached the agent after the deadline + 1 s: {late[:5]}"
            assert agent.received.video, "frames before the deadline arrived"
            # the screen went to the agent only: the kiosk itself received none of it
            assert SCREEN not in kiosk.received.senders()
            events = [e for e in server.services.engine.case(call.case_id).events
                      if e.kind == "consent"]
            assert [e.detail["event"] for e in events] == ["requested", "granted", "expired"]
            assert events[1].detail["duration"] == 2
            assert 1.9 < events[2].detail["duration"] < 2.5
            # sharing again needs a new consent: the kiosk's labelled offer is refused now
            refused = await call.customer.call("media_offer", {
                "sdp": kiosk.pc.localDescription.sdp, "type": "offer", "labels": {"0": "screen_share"}})
            assert refused["ok"] is False and refused["error"]["code"] == "consent_not_allowed"
        finally:
            await call.close()


async def test_stop_sharing_stops_the_screen_within_a_second(server: LiveServer) -> None:
    call = await open_kiosk_case(server, "lisa")
    try:
        grant_id, _, kiosk, agent, screen = await start_share(call)
        revoked_ms = now_ms()
        ok(await call.customer.call("consent_revoke", {"grant_id": grant_id}))
        ended = await call.agent.wait_for("consent_ended", lambda p: p["grant_id"] == grant_id)
        assert ended["reason"] == "revoked_by_customer"
        await until(lambda: now_ms() > revoked_ms + 2000, 5, "time to pass")
        assert screen.readyState == "live"  # still sending
        late = [n for _, n, sent, got in agent.received.video if got > revoked_ms + 1000]
        assert late == [], f"frames after Stop sharing + 1 s: {late[:5]}"
        grant = server.services.media.consent.ledger.live(call.case_id, "screen_share")  # type: ignore[union-attr,arg-type]
        assert grant is None
    finally:
        await call.close()


async def test_no_answer_declines_and_a_late_tap_is_refused(
    media_server: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with media_server(consent__answer_seconds=1) as server:
        call = await open_kiosk_case(server, "lisa")
        try:
            asked = time.monotonic()
            grant = ok(await call.agent.call("consent_request",
                                             {"case_id": call.case_id, "scope": "screen_share"}))
            grant_id = grant["grant"]["grant_id"]
            await call.customer.wait_for("consent_prompt")
            ended = await call.agent.wait_for("consent_ended", lambda p: p["grant_id"] == grant_id,
                                              timeout=3)
            assert ended["reason"] == "no_answer"
            assert 0.9 < time.monotonic() - asked < 2.0
            late = await call.customer.call("consent_answer", {"grant_id": grant_id, "approve": True})
            assert late["ok"] is False and late["error"]["code"] == "consent_not_allowed"
            # nor may the kiosk offer a screen now
            assert not server.services.media.consent.granted(call.case_id)  # type: ignore[union-attr]
        finally:
            await call.close()


async def test_screen_share_is_refused_for_a_web_customer_and_over_five_minutes_at_start_up(
    server: LiveServer,
) -> None:
    from media_tests.calls import open_case
    from server.settings import load_settings

    call = await open_case(server, "lisa")
    try:
        refused = await call.agent.call("consent_request",
                                        {"case_id": call.case_id, "scope": "screen_share"})
        assert refused["ok"] is False and refused["error"]["code"] == "consent_not_allowed"
    finally:
        await call.close()
    try:
        load_settings(consent__screen_share_seconds=301)
    except ValueError as error:
        assert "at most 300" in str(error)
    else:
        raise AssertionError("a screen share over 300 s was accepted")
