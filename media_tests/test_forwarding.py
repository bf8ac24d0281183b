"""The relay forwards what it receives without decoding it, and transcodes only where codecs differ."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import aiortc
import pytest
from aiortc import RTCRtpSender

from media_tests.calls import Case, open_case
from media_tests.synthetic import ClientPeer, SyntheticTone, SyntheticVideo, until
from server.media import aiortc_compat
from server.media.relay import FORWARD, TRANSCODE, CaseRelay
from tests.support.live import LiveServer

CUSTOMER_ID, AGENT_ID = 1, 2


def relay_of(server: LiveServer, case_id: str) -> CaseRelay:
    return server.services.media.cases[case_id].relay  # type: ignore[union-attr]


def prefer(peer: ClientPeer, kind: str, mime: str) -> None:
    """Offer only `mime` for `kind` on this client (a browser configured for one codec)."""
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs
              if c.mimeType.lower() == mime.lower() or c.mimeType.lower().endswith("/rtx")]
    for transceiver in peer.pc.getTransceivers():
        if transceiver.kind == kind:
            transceiver.setCodecPreferences(codecs)


async def video_call(server: LiveServer, customer_codec: str | None = None,
                     agent_codec: str | None = None) -> tuple[Case, ClientPeer, ClientPeer]:
    call = await open_case(server, "lisa")
    await call.agree("video")
    customer, agent = call.customer_peer(), call.agent_peer()
    customer.send(SyntheticTone(440.0))
    customer.send(SyntheticVideo(CUSTOMER_ID))
    agent.send(SyntheticTone(660.0))
    agent.send(SyntheticVideo(AGENT_ID))
    if customer_codec:
        prefer(customer, "video", customer_codec)
    if agent_codec:
        prefer(agent, "video", agent_codec)
    await customer.negotiate()
    await agent.negotiate()
    await customer.wait_connected()
    await agent.wait_connected()
    return call, customer, agent


def path_events(server: LiveServer, case_id: str) -> list[dict[str, Any]]:
    case = server.services.engine.case(case_id)
    return [e.detail for e in case.events if e.kind == "media_path"]


async def test_the_adapter_recognises_the_aiortc_it_was_written_for(server: LiveServer) -> None:
    call, customer, agent = await video_call(server)
    try:
        media = server.services.media.cases[call.case_id]  # type: ignore[union-attr]
        peer = media.peers["customer"]
        transceiver = next(t for t in peer.pc.getTransceivers() if t.kind == "video")
        aiortc_compat.check(transceiver.receiver, transceiver.sender)
    finally:
        await call.close()


def test_the_adapter_refuses_an_aiortc_it_was_not_tested_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiortc, "__version__", "2.0.0")
    with pytest.raises(aiortc_compat.IncompatibleAiortc, match="aiortc 2.0.0 is not a version"):
        aiortc_compat.check()


async def test_matching_codecs_are_forwarded_packet_by_packet_without_decoding(
        server: LiveServer) -> None:
    call, customer, agent = await video_call(server)
    try:
        await customer.wait_video(30, timeout=15)
        await agent.wait_video(30, timeout=15)
        await customer.wait_audio(50)
        await agent.wait_audio(50)
        relay = relay_of(server, call.case_id)
        for source in relay.sources.values():
            assert source.packets > 0
            assert source.tap is not None and source.tap.decode is False
            assert source.frames == 0, "the server decoded frames it only had to forward"
        for key, consumer in relay.consumers.items():
            assert consumer.path == FORWARD, key
            assert consumer.forwarded > 0
            assert consumer.track.delivered == 0, "frames went through aiortc's encoder"
            history = consumer.outlet._history  # type: ignore[union-attr]
            assert len(history) <= 128
        assert agent.received.senders() == {CUSTOMER_ID}
        assert customer.received.senders() == {AGENT_ID}
        assert customer.received.undecodable == agent.received.undecodable == 0
        numbers = agent.received.numbers()
        assert numbers == sorted(numbers)
        await until(lambda: len(path_events(server, call.case_id)) == 4, 5, "paths recorded")
        recorded = {(e["role"], e["stream"], e["path"]) for e in path_events(server, call.case_id)}
        assert recorded == {(role, kind, FORWARD) for role in ("customer", "agent")
                            for kind in ("audio", "video")}
    finally:
        await call.close()


async def test_a_consumer_with_another_codec_gets_transcoded_frames(server: LiveServer) -> None:
    call, customer, agent = await video_call(server, customer_codec="video/VP8",
                                             agent_codec="video/H264")
    try:
        await agent.wait_video(20, timeout=20)
        await customer.wait_video(20, timeout=20)
        relay = relay_of(server, call.case_id)
        assert relay.consumers[("agent", "video")].path == TRANSCODE
        assert relay.consumers[("customer", "video")].path == TRANSCODE
        assert relay.consumers[("agent", "audio")].path == FORWARD  # Opus both ways: still forwarded
        assert relay.sources[("customer", "video")].tap.decode is True  # type: ignore[union-attr]
        assert relay.sources[("customer", "audio")].tap.decode is False  # type: ignore[union-attr]
        assert agent.received.senders() == {CUSTOMER_ID}
        numbers = agent.received.numbers()
        assert numbers == sorted(numbers)
        await until(lambda: len(path_events(server, call.case_id)) == 4, 5, "paths recorded")
        video = {e["role"]: e for e in path_events(server, call.case_id) if e["stream"] == "video"}
        assert (video["agent"]["path"], video["agent"]["codec_in"], video["agent"]["codec_out"]) \
            == (TRANSCODE, "VP8", "H264")
    finally:
        await call.close()


async def test_a_keyframe_request_from_the_receiver_reaches_the_original_sender(
        server: LiveServer) -> None:
    call, customer, agent = await video_call(server)
    try:
        await agent.wait_video(10, timeout=15)
        sender = next(t.sender for t in customer.pc.getTransceivers() if t.kind == "video")
        asked: list[bool] = []
        original = sender._send_keyframe

        def counted() -> None:
            asked.append(True)
            original()

        sender._send_keyframe = counted  # type: ignore[method-assign]
        receiver = next(t.receiver for t in agent.pc.getTransceivers() if t.kind == "video")
        assert await aiortc_compat.request_keyframe(receiver)
        await until(lambda: bool(asked), 5, "the PLI to reach the customer's sender")
    finally:
        await call.close()


async def test_nothing_of_a_stream_is_kept_after_the_call(server: LiveServer) -> None:
    call, customer, agent = await video_call(server)
    try:
        await agent.wait_video(10, timeout=15)
        relay = relay_of(server, call.case_id)
        outlets = [c.outlet for c in relay.consumers.values() if c.outlet is not None]
        assert any(o._history for o in outlets)
        ok = await call.agent.call("media_hangup", {"case_id": call.case_id})
        assert ok["ok"] is True
        await until(lambda: call.case_id not in server.services.media.cases, 5, "the relay to go")
        assert all(not o._history for o in outlets), "forwarded packets outlived the call"
    finally:
        await call.close()


def test_the_fast_ntp_clock_agrees_with_aiortcs() -> None:
    from aiortc.clock import current_ntp_time

    before, ours, after = current_ntp_time(), aiortc_compat.ntp_now(), current_ntp_time()
    assert before - 2**22 <= ours <= after + 2**22  # within a millisecond


async def test_a_call_frozen_by_the_collector_tuning_is_freed_when_it_ends(server: LiveServer) -> None:
    """The server freezes its heap periodically (gc_freeze_interval_seconds), which hides reference
    cycles from the collector: a finished call must not depend on a collection to be freed."""
    call, customer, agent = await video_call(server)
    try:
        await agent.wait_video(10, timeout=15)
        media = server.services.media.cases[call.case_id]  # type: ignore[union-attr]
        refs = [weakref.ref(media.relay)]
        for peer in media.peers.values():
            refs.append(weakref.ref(peer.pc))
            for transceiver in peer.pc.getTransceivers():
                refs += [weakref.ref(transceiver), weakref.ref(transceiver.receiver.track)]
        del media, peer, transceiver
        gc.freeze()  # as the periodic freeze does while the call is live
        try:
            ok = await call.agent.call("media_hangup", {"case_id": call.case_id})
            assert ok["ok"] is True
            await until(lambda: call.case_id not in server.services.media.cases, 5, "the relay to go")

            def freed() -> bool:
                gc.collect()  # frozen objects are out of its reach: only reference counting helps
                return all(r() is None for r in refs)

            await until(freed, 5, "the call's aiortc objects to be freed while frozen")
        finally:
            gc.unfreeze()
    finally:
        await call.close()
