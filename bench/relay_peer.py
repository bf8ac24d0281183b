"""A load peer: one aiortc peer connection that sends the pre-encoded clip and receives encoded frames.

Nothing is encoded or decoded per frame when the server forwards unchanged: the sender's tracks
return `av.Packet`s from the clip (aiortc packetises them as they are), the receiver's tracks yield
`av.Packet`s (`server.media.aiortc_compat.receive_encoded`) identified by their bytes. Only against
a server that re-encodes (the MediaRelay baseline) does a peer decode what it receives
(`identify="decode"`), to read the frame's key.

Send and receive times are `time.perf_counter()` of the same process: a call's two peers live in
the same worker (or, for an echo server, a peer receives its own media).
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from bench.relay_clip import AUDIO_RATE, AUDIO_SAMPLES, FPS, VIDEO_CLOCK, Clip, Identifier
from server.media.aioice_compat import host_addresses
from server.media.aiortc_compat import on_keyframe_request, receive_encoded

#: signalling: offer SDP → answer SDP
Exchange = Callable[[str], Awaitable[str]]


@dataclass
class Window:
    """The measuring window of a worker; frames count when sent inside it."""

    start: float = math.inf
    end: float = math.inf

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment < self.end


@dataclass
class Received:
    delivered: int = 0
    unidentified: int = 0
    delays_ms: list[float] = field(default_factory=list)
    first: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        self.delivered, self.unidentified, self.delays_ms = 0, 0, []


class ClipTrack(MediaStreamTrack):
    """Paced like a camera or a microphone; returns the clip's encoded frames in a loop.

    Like an encoder asked for a keyframe (RTCP PLI/FIR), a video track then skips ahead to the
    clip's next keyframe.
    """

    def __init__(self, kind: str, packets: list[bytes], keys: list[int | None], window: Window) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._keys = keys
        self._window = window
        video = kind == "video"
        self._interval = 1 / FPS if video else AUDIO_SAMPLES / AUDIO_RATE
        self._step = VIDEO_CLOCK // FPS if video else AUDIO_SAMPLES
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK if video else AUDIO_RATE)
        self.number = 0
        self.position = 0  #: where in the clip the next frame comes from
        self._keyframes = [i for i, p in enumerate(packets) if video and not p[0] & 1]
        self._keyframe_wanted = False
        self.sent = 0
        #: last send time of each clip index, and of each decode key
        self.sent_at = [0.0] * len(packets)
        self.sent_at_key: dict[int, float] = {}
        self._start: float | None = None

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self.number * self._interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing, as a camera would
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            position = self.position % len(self._packets)
            if position not in self._keyframes:
                self.position += min((k - position) % len(self._packets) for k in self._keyframes)
        index = self.position % len(self._packets)
        self.position += 1
        packet = av.Packet(self._packets[index])
        packet.pts = self.number * self._step
        packet.time_base = self._time_base
        self.number += 1
        now = time.perf_counter()
        self.sent_at[index] = now
        key = self._keys[index]
        if key is not None:
            self.sent_at_key[key] = now
        if now in self._window:
            self.sent += 1
        return packet

    def request_keyframe(self) -> None:
        if self._keyframes:
            self._keyframe_wanted = True


class LoadPeer:
    def __init__(self, name: str, clip: Clip, window: Window, identify: str = "hash",
                 address: str = "127.0.0.1") -> None:
        self.name = name
        self.clip = clip
        self.window = window
        self.identify = identify
        self.address = address
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks = {
            "video": ClipTrack("video", clip.video, clip.video_keys, window),
            "audio": ClipTrack("audio", clip.audio, clip.audio_keys, window),
        }
        self.received = {"video": Received(), "audio": Received()}
        #: whose media this peer receives (the other side of the call; itself for an echo)
        self.source: LoadPeer = self
        self.offer_to_ice: float | None = None
        self.offer_to_connected: float | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._ice = asyncio.Event()
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self.pc.on("track", self._on_track)
        self.pc.on("iceconnectionstatechange", self._ice_changed)
        self.pc.on("connectionstatechange", self._state_changed)
        for track in self.tracks.values():
            sender = self.pc.addTrack(track)
            on_keyframe_request(sender, track.request_keyframe, also_encoder=lambda: False)

    def _ice_changed(self) -> None:
        if self.pc.iceConnectionState in ("completed", "connected"):
            self._ice.set()
        elif self.pc.iceConnectionState == "failed":
            self._failed.set()

    def _state_changed(self) -> None:
        if self.pc.connectionState == "connected":
            self._connected.set()
        elif self.pc.connectionState in ("failed", "closed"):
            self._failed.set()

    def _on_track(self, track: Any) -> None:
        receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
        receive_encoded(receiver)
        self._readers.append(asyncio.create_task(self._read(track)))

    async def _read(self, track: Any) -> None:
        kind: str = track.kind
        video = kind == "video"
        stats = self.received[kind]
        index = self.clip.video_index if video else self.clip.audio_index
        identifier = Identifier() if self.identify == "decode" else None
        window = self.window
        try:
            while True:
                packet = await track.recv()
                now = time.perf_counter()
                source = self.source.tracks[kind]
                data = bytes(packet)
                sent: float | None = None
                if identifier is None:
                    position = index.get(data)
                    if position is not None:
                        sent = source.sent_at[position]
                else:
                    key = identifier.video(data) if video else identifier.audio(data)
                    if key is not None:
                        sent = source.sent_at_key.get(key)
                if not sent:
                    stats.unidentified += 1
                    continue
                stats.first.set()
                if sent in window:
                    stats.delivered += 1
                    stats.delays_ms.append((now - sent) * 1000)
        except MediaStreamError:
            return

    async def negotiate(self, exchange: Exchange, seconds: float) -> None:
        """Offer through `exchange`, apply the answer, and wait until ICE and DTLS are connected."""
        offer = await self.pc.createOffer()
        with host_addresses([self.address]):
            await self.pc.setLocalDescription(offer)  # aiortc gathers here: all candidates in the SDP
        started = time.perf_counter()
        answer = await exchange(self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        connected = asyncio.ensure_future(self._connected.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        ice = asyncio.ensure_future(self._ice.wait())
        try:
            await asyncio.wait_for(ice, seconds)
            self.offer_to_ice = time.perf_counter() - started
            done, _ = await asyncio.wait({connected, failed}, timeout=seconds,
                                         return_when=asyncio.FIRST_COMPLETED)
            if connected not in done:
                raise ConnectionError(f"{self.name}: the peer connection did not connect"
                                      f" ({self.pc.connectionState})")
            self.offer_to_connected = time.perf_counter() - started
        finally:
            for waiter in (connected, failed, ice):
                waiter.cancel()

    def reset(self) -> None:
        for stats in self.received.values():
            stats.reset()
        for track in self.tracks.values():
            track.sent = 0

    async def close(self) -> None:
        for track in self.tracks.values():
            track.stop()
        try:
            await asyncio.wait_for(self.pc.close(), 5)
        except TimeoutError:
            pass
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
