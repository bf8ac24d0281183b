"""A call participant whose media stops is lost within seconds, not after ICE consent's 30 s.

The relay notes when each participant's last RTP packet arrived; the media tick fails the call of
one silent for `media_inactivity_seconds` (default 3) through the usual failure path: both sides
get `media_state {state: "failed", reason: "media_inactive"}` and the case goes on in chat.
What counts is any RTP on any of the participant's tracks: a camera turned off is not a lost
participant while the microphone (muted or not, it sends silence) keeps sending.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from media_tests.calls import ok, open_case
from media_tests.synthetic import ClientPeer, SyntheticTone, SyntheticVideo
from server.media.relay import CaseRelay
from server.settings.dispatch import DispatchSettings
from server.settings.media import MediaSettings
from tests.support.frozen import peer_process
from tests.support.live import LiveServer, connect

DEFAULT_INACTIVITY = MediaSettings().inactivity_seconds
DEFAULT_TICK = DispatchSettings().tick_seconds
#: the brief's bound: a frozen peer is reported lost within this long
LOST_BOUND_SECONDS = 5.0


class Stoppable:
    """Wraps a synthetic track; `hold()` makes it produce nothing more (no RTP leaves the peer),
    as a frozen camera or microphone would, while the socket and ICE stay up."""

    def __init__(self, track: Any) -> None:
        self.track = track
        self.kind = track.kind
        self.running = asyncio.Event()
        self.running.set()
        track_recv = track.recv

        async def recv() -> Any:
            await self.running.wait()
            return await track_recv()

        track.recv = recv

    def hold(self) -> None:
        self.running.clear()


# --- the relay's bookkeeping --------------------------------------------------------------


def test_a_participant_is_silent_from_the_limit_on_and_not_a_moment_before() -> None:
    relay = CaseRelay("case-1")
    relay.last_heard = {"customer": 100.0, "agent": 102.0}

    assert relay.silent(102.999, 3.0) == []
    assert relay.silent(103.0, 3.0) == [("customer", 3.0)]
    assert [role for role, _ in relay.silent(105.0, 3.0)] == ["customer", "agent"]


def test_a_participant_who_never_sent_media_is_not_judged_by_the_relay() -> None:
    relay = CaseRelay("case-1")
    assert relay.silent(1e9, 3.0) == []


# --- in a real call -----------------------------------------------------------------------


async def _video_call(server: LiveServer) -> tuple[Any, ClientPeer, list[Stoppable]]:
    call = await open_case(server, "lisa")
    await call.agree("video")
    customer, agent = call.customer_peer(), call.agent_peer()
    held = [Stoppable(SyntheticTone(440)), Stoppable(SyntheticVideo(1))]
    for wrapped in held:
        customer.send(wrapped.track)
    agent.send(SyntheticTone(880))
    agent.send(SyntheticVideo(2))
    await asyncio.gather(customer.negotiate(), agent.negotiate())
    await asyncio.gather(customer.wait_video(5), agent.wait_video(5))
    await call.agent.wait_for("media_state", lambda p: p["state"] == "connected")
    return call, agent, held


async def test_a_participant_whose_media_stops_fails_the_call_once_the_limit_has_passed(
    media_server: Any,
) -> None:
    async with media_server(dispatch__tick_seconds=DEFAULT_TICK) as server:
        call, agent, held = await _video_call(server)
        try:
            for wrapped in held:
                wrapped.hold()
            stopped = time.monotonic()
            failed = await call.agent.wait_for("media_state", lambda p: p["state"] == "failed",
                                               timeout=10)
            after = time.monotonic() - stopped
            print(f"\nmedia stopped; call failed after {after:.2f} s"
                  f" (limit {DEFAULT_INACTIVITY} s, tick {DEFAULT_TICK} s)")
            assert failed == {"case_id": call.case_id, "channel": "chat", "state": "failed",
                              "reason": "media_inactive"}
            # not before the limit (less the packets already in flight), and within one tick of it
            assert DEFAULT_INACTIVITY - 0.2 <= after <= DEFAULT_INACTIVITY + DEFAULT_TICK + 1.0
            customer_side = await call.customer.wait_for("media_state",
                                                         lambda p: p["state"] == "failed")
            assert customer_side["reason"] == "media_inactive"
            assert server.services.media.cases == {}
            # the case goes on in chat
            ok(await call.customer.call("chat_send", {"text": "Bilden frös"}))
            await call.agent.wait_for("chat_message", lambda m: m["text"] == "Bilden frös")
            await server.flush()
            events = await server.services.cases.events(call.case_id)
            assert [e["detail"] for e in events if e["kind"] == "media_failed"] == [
                {"role": "customer", "reason": "media_inactive", "channel": "video"}]
        finally:
            await call.close()


async def test_a_camera_turned_off_while_the_microphone_sends_keeps_the_call(
    media_server: Any,
) -> None:
    async with media_server(dispatch__tick_seconds=DEFAULT_TICK) as server:
        call, agent, held = await _video_call(server)
        try:
            _, camera = held
            camera.hold()
            frames = len(agent.received.video)
            await asyncio.sleep(DEFAULT_INACTIVITY + 1.0)  # past the limit, on purpose
            assert len(agent.received.video) <= frames + 2  # the camera really stopped
            assert "failed" not in [p["state"] for p in call.agent.received["media_state"]]
            assert server.services.media.desk.calls[call.case_id].state.value == "connected"
        finally:
            await call.close()


async def test_a_frozen_customer_in_a_video_call_is_reported_lost_to_the_agent_within_five_seconds(
    media_server: Any, tmp_path: Path,
) -> None:
    async with media_server(dispatch__tick_seconds=DEFAULT_TICK) as server:
        await server.create_agent("lisa", "Lisa")
        agent_socket = await connect(server.url, "/agent", {"token": await server.login("lisa")})
        ok(await agent_socket.call("agent_hello", {}))
        ok(await agent_socket.call("presence_set", {"presence": "available"}))
        agent: ClientPeer | None = None
        async with peer_process("media_tests.peer_process", server.url,
                                log=tmp_path / "customer.log") as device:
            try:
                case_id = (await device.next("opened", timeout=20))["case_id"]
                await agent_socket.wait_for("offer", lambda o: o["case_id"] == case_id)
                ok(await agent_socket.call("offer_accept", {"case_id": case_id}))
                ok(await agent_socket.call("media_propose", {"case_id": case_id,
                                                             "channel": "video"}))
                await agent_socket.wait_for("media_state", lambda p: p["channel"] == "video")
                agent = ClientPeer(agent_socket, case_id)
                agent.send(SyntheticTone(880))
                agent.send(SyntheticVideo(2))
                await agent.negotiate()
                await agent.wait_video(5, timeout=20)  # the customer's camera, through the relay
                await device.next("connected", timeout=20)

                frozen_at = device.freeze()
                failed = await agent_socket.wait_for(
                    "media_state", lambda p: p["state"] == "failed", timeout=15)
                noticed = time.monotonic() - frozen_at
                print(f"\nfrozen customer's call reported lost to the agent after {noticed:.2f} s"
                      f" (bound {LOST_BOUND_SECONDS:.0f} s, reason {failed['reason']})")
                assert failed["reason"] == "media_inactive" and failed["channel"] == "chat"
                assert noticed <= LOST_BOUND_SECONDS
                assert server.services.media.cases == {}
            finally:
                if agent is not None:
                    await agent.close()
                await agent_socket.close()
