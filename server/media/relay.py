"""Relaying one case's media between its participants, and nobody else — forwarded, not transcoded.

One `CaseRelay` per case. A participant's received track is a *source*; what the server sends a
participant for one kind is a *consumer*, fed by the source of the same kind of the OTHER
participant — never their own. Relays of different cases share nothing, so media cannot cross
cases by construction.

**Forward path** (the normal case: both sides negotiated the same codec). Each RTP packet a source
receives is sent at once to its consumers with the consumer's SSRC, sequence numbers and
timestamps (`rtp_rewrite`), payload untouched: no decoding, no encoding, no jitter buffer and no
queue of the server's own. A consumer's keyframe request (PLI/FIR) goes to the original sender; a
video consumer that starts (or whose source changes) gets nothing until a keyframe passes, and
asks for one. The only packets kept are aiortc's bounded retransmission history per sender
(128 packets, in memory, for the receiver's NACKs), dropped when the stream stops.

**Transcode path** (the codecs differ, e.g. VP8 in, H.264 out). Only for that consumer: the source
decodes (`tap.decode`), and the decoded frames go through a one-frame slot to aiortc's encoder.
When a new frame arrives before the sender took the previous one, the older is dropped (counted):
a slow consumer never builds a queue. Which path each stream took is reported (`on_path`).

Consented tracks (a kiosk's screen, an age-check camera) carry a gate asked for every packet and
frame: closed, they are dropped, and when it opens again a keyframe is asked for. Nothing is
written anywhere.

**Inactivity.** The relay remembers, per participant, when the last RTP packet of any of their
tracks arrived (`last_heard`, one clock reading per packet, no timer). `silent()` names the
participants who sent media once and then nothing for a while; `MediaSessions` asks it on its
tick and fails their call (docs/media.md, "Inactivity watchdog").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from ..logs import get_logger
from . import aiortc_compat, keyframes
from .rtp_rewrite import RtpRewriter

log = get_logger("helpwire.media.relay")
_serials = itertools.count(1)

FORWARD = "forward"
TRANSCODE = "transcode"
#: keyframe requests to one source closer together than this are one request (no PLI storm)
KEYFRAME_INTERVAL = 0.3

PathListener = Callable[[str, str, str, str, str], None]


def same_codec(a: RTCRtpCodecParameters, b: RTCRtpCodecParameters) -> bool:
    """Can packets of `a` be forwarded to a receiver that negotiated `b`?"""
    if a.mimeType.lower() != b.mimeType.lower() or a.clockRate != b.clockRate:
        return False
    if a.mimeType.lower() == "video/h264":
        keys = ("packetization-mode", "profile-level-id")
        return all(str(a.parameters.get(k, "")).lower()[:4] == str(b.parameters.get(k, "")).lower()[:4]
                   for k in keys)
    return True


class ConsumerTrack(MediaStreamTrack):
    """Frames for aiortc's encoder on the transcode path: the latest frame, one slot."""

    def __init__(self, kind: str, role: str) -> None:
        super().__init__()
        self.kind = kind
        self.role = role
        self._frame: Any = None
        self._offered_at = 0.0
        self._ready = asyncio.Event()
        self.delivered = 0
        self.dropped = 0
        self.holds: deque[float] = deque(maxlen=512)

    def offer(self, frame: Any) -> None:
        if self.readyState != "live":
            return
        if self._frame is not None:
            self.dropped += 1  # the consumer did not keep up: drop the oldest
        self._frame = frame
        self._offered_at = time.monotonic()
        self._ready.set()

    async def recv(self) -> Any:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._frame is not None:
                frame, self._frame = self._frame, None
                self._ready.clear()
                self.delivered += 1
                self.holds.append(time.monotonic() - self._offered_at)
                return frame
            await self._ready.wait()

    def clear(self) -> None:
        self._frame = None
        self._ready.clear()

    def stop(self) -> None:
        self._frame = None
        super().stop()
        self._ready.set()  # wake a waiting recv() so it raises and the sender stops


class Consumer:
    """What the server sends one participant for one kind (or consented label)."""

    def __init__(self, role: str, kind: str, media_kind: str) -> None:
        self.role = role
        self.kind = kind
        self.media_kind = media_kind
        self.track = ConsumerTrack(media_kind, role)
        self.outlet: aiortc_compat.RtpOutlet | None = None
        self.sender: RTCRtpSender | None = None
        #: FORWARD or TRANSCODE, decided per source (by its serial) when both codecs are known
        self.path: str | None = None
        self.path_source: int | None = None
        step = 3000 if media_kind == "video" else 960
        self.rewriter = RtpRewriter(random.getrandbits(16), random.getrandbits(32), step)
        self.waiting_keyframe = media_kind == "video"
        self.forwarded = 0
        self.skipped = 0  # packets not sent: before the first keyframe, or transport not up
        #: seconds from a packet's arrival at the server to its departure (numbers only)
        self.holds: deque[float] = deque(maxlen=512)

    @property
    def dropped(self) -> int:
        return self.track.dropped

    def stop(self) -> None:
        """Stop sending and let go of the sender: no reference cycle outlives the stream."""
        self.track.stop()
        if self.outlet is not None:
            self.outlet.forget()
            self.outlet.on_ready = None
        self.outlet = None
        self.sender = None


@dataclass(eq=False)
class Source:
    role: str
    kind: str
    track: Any
    receiver: RTCRtpReceiver | None
    #: tells sources apart without holding them (a consumer's numbering follows the serial)
    serial: int = field(default_factory=lambda: next(_serials))
    tap: aiortc_compat.ReceiverTap | None = None
    task: asyncio.Task[None] | None = None
    codec: RTCRtpCodecParameters | None = None
    packets: int = 0
    frames: int = 0
    #: consented tracks (a kiosk's screen, an age-check camera): asked before EVERY packet or
    #: frame is forwarded; False drops it
    gate: Callable[[], bool] | None = None
    gate_open: bool = True
    #: packets/frames not forwarded because the gate said no
    withheld: int = 0
    last_keyframe_request: float = field(default=-KEYFRAME_INTERVAL)


@dataclass
class CaseRelay:
    case_id: str
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    consumers: dict[tuple[str, str], Consumer] = field(default_factory=dict)
    on_source_ended: Callable[[str, str], None] | None = None
    #: (role, kind, path, source codec, consumer codec) whenever a stream's path is decided
    on_path: PathListener | None = None
    #: role → time.monotonic() of the last RTP packet from that participant, on any track
    last_heard: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ consumers

    def attach(self, role: str, kind: str, sender: RTCRtpSender) -> Consumer:
        """`sender` carries to `role` what the other side sends of `kind` (a kind or a label)."""
        consumer = self.consumers.get((role, kind))
        if consumer is None or consumer.track.readyState != "live" or consumer.sender is not sender:
            if consumer is not None:
                consumer.stop()
            consumer = Consumer(role, kind, sender.kind)
            self.consumers[(role, kind)] = consumer
            consumer.sender = sender
            consumer.outlet = aiortc_compat.RtpOutlet(sender)
            consumer.outlet.on_ready = functools.partial(self._consumer_ready, consumer)
            aiortc_compat.on_keyframe_request(
                sender, functools.partial(self._consumer_wants_keyframe, consumer),
                also_encoder=functools.partial(_transcoding, consumer))
        sender.replaceTrack(consumer.track)
        return consumer

    def _consumer_ready(self, consumer: Consumer) -> None:
        if self.consumers.get((consumer.role, consumer.kind)) is consumer:
            self._consumer_wants_keyframe(consumer)

    def _consumer_wants_keyframe(self, consumer: Consumer) -> None:
        for source in self._sources_for(consumer.role, consumer.kind):
            self._request_keyframe(source)

    def _request_keyframe(self, source: Source, force: bool = False) -> None:
        if source.receiver is None or source.track.kind != "video":
            return
        now = time.monotonic()
        if not force and now - source.last_keyframe_request < KEYFRAME_INTERVAL:
            return
        source.last_keyframe_request = now
        asyncio.ensure_future(_quietly(aiortc_compat.request_keyframe(source.receiver)))

    def cut(self, kind: str) -> None:
        """A consent ended: forget any frame of `kind` not yet sent and start over at a keyframe.

        The source's gate already refuses every later packet; this clears the transcode slot.
        """
        for (_, k), consumer in self.consumers.items():
            if k == kind:
                consumer.track.clear()
                consumer.waiting_keyframe = consumer.media_kind == "video"

    # ------------------------------------------------------------------ sources

    def _sources_for(self, consumer_role: str, kind: str) -> list[Source]:
        return [s for (role, k), s in self.sources.items() if k == kind and role != consumer_role]

    def _consumers_for(self, source_role: str, kind: str) -> list[Consumer]:
        return [c for (role, k), c in self.consumers.items() if k == kind and role != source_role]

    def add_source(self, role: str, track: Any, receiver: RTCRtpReceiver | None = None, *,
                   kind: str | None = None, gate: Callable[[], bool] | None = None) -> Source:
        """`kind` overrides the track's kind for consented tracks ("screen_share", …): such a
        source feeds only consumers of that same label, and only while `gate()` is true."""
        label = kind or track.kind
        key = (role, label)
        old = self.sources.pop(key, None)
        if old is not None:
            _let_go(old)
        source = Source(role, label, track, receiver, gate=gate)
        self.sources[key] = source
        if receiver is not None:
            source.tap = aiortc_compat.ReceiverTap(
                receiver, lambda packet, codec: self._forward(source, packet, codec))
        source.task = asyncio.create_task(self._pump(source),
                                          name=f"relay:{self.case_id}:{role}:{label}")
        return source

    def _passes_gate(self, source: Source) -> bool:
        if source.gate is None:
            return True
        open_now = source.gate()
        if open_now and not source.gate_open:
            self._request_keyframe(source, force=True)  # viewing may resume: start at a picture
        source.gate_open = open_now
        if not open_now:
            source.withheld += 1
        return open_now

    async def _forward(self, source: Source, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        """Called by the receiver tap for every packet the source's sender sends us."""
        arrived = time.monotonic()
        self.last_heard[source.role] = arrived
        if self.sources.get((source.role, source.kind)) is not source:
            return  # a replaced source whose receiver is still draining
        source.packets += 1
        if source.packets == 1:
            log.info("media_first_packet_in", case_id=self.case_id, role=source.role, kind=source.kind)
        source.codec = codec
        if not self._passes_gate(source):
            return
        for consumer in self._consumers_for(source.role, source.kind):
            outlet = consumer.outlet
            if outlet is None or outlet.codec is None:
                consumer.skipped += 1
                if consumer.skipped == 1:
                    log.info("media_consumer_not_ready", case_id=self.case_id, role=consumer.role,
                             kind=consumer.kind)
                continue
            if consumer.path_source != source.serial:
                self._choose_path(consumer, source, codec, outlet.codec)
            if consumer.path != FORWARD:
                continue
            if consumer.waiting_keyframe:
                if not keyframes.starts_keyframe(codec.name, packet.payload):
                    consumer.skipped += 1
                    self._request_keyframe(source)
                    continue
                consumer.waiting_keyframe = False
            sequence, timestamp = consumer.rewriter.rewrite(source.serial, packet.sequence_number,
                                                            packet.timestamp)
            if await outlet.send(packet, sequence, timestamp):
                consumer.forwarded += 1
                if consumer.forwarded == 1:
                    log.info("media_first_packet_out", case_id=self.case_id, role=consumer.role,
                             kind=consumer.kind)
                consumer.holds.append(time.monotonic() - arrived)
            else:
                consumer.skipped += 1

    def _choose_path(self, consumer: Consumer, source: Source, incoming: RTCRtpCodecParameters,
                     outgoing: RTCRtpCodecParameters) -> None:
        consumer.path_source = source.serial
        consumer.path = FORWARD if same_codec(incoming, outgoing) else TRANSCODE
        consumer.waiting_keyframe = consumer.media_kind == "video"
        if source.tap is not None:
            source.tap.decode = any(c.path == TRANSCODE and c.path_source == source.serial
                                    for c in self._consumers_for(source.role, source.kind))
        self._request_keyframe(source, force=True)
        log.info("media_path", case_id=self.case_id, role=consumer.role, kind=consumer.kind,
                 path=consumer.path, codec_in=incoming.name, codec_out=outgoing.name)
        if self.on_path is not None:
            self.on_path(consumer.role, consumer.kind, consumer.path, incoming.name, outgoing.name)

    async def _pump(self, source: Source) -> None:
        """Decoded frames, for transcode consumers; also notices when the track ends."""
        try:
            while True:
                frame = await source.track.recv()
                source.frames += 1
                if source.gate is not None and not source.gate():
                    source.withheld += 1
                    del frame
                    continue
                for consumer in self._consumers_for(source.role, source.kind):
                    if consumer.path == TRANSCODE and consumer.path_source == source.serial:
                        consumer.track.offer(frame)
                del frame
                await asyncio.sleep(0)  # let a waiting sender take the frame before the next
        except MediaStreamError:
            if self.sources.get((source.role, source.kind)) is source:
                del self.sources[(source.role, source.kind)]
                if self.on_source_ended is not None:
                    self.on_source_ended(source.role, source.kind)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relay_source_failed", case_id=self.case_id, role=source.role,
                          kind=source.kind)

    # ------------------------------------------------------------------ inactivity

    def silent(self, now: float, limit: float) -> list[tuple[str, float]]:
        """(role, seconds) of each participant who sent media before but nothing for `limit`
        seconds or more. A participant who never sent (receive-only, still connecting) is not
        judged here; ICE consent freshness covers them."""
        return [(role, now - at) for role, at in self.last_heard.items() if now - at >= limit]

    # ------------------------------------------------------------------ leaving

    async def remove_role(self, role: str) -> None:
        """A participant left: stop what they sent and what was sent to them."""
        self.last_heard.pop(role, None)
        tasks = []
        for key in [k for k in self.sources if k[0] == role]:
            source = self.sources.pop(key)
            if source.task is not None:
                tasks.append(source.task)
            _let_go(source)
        for key in [k for k in self.consumers if k[0] == role]:
            self.consumers.pop(key).stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        for role in {k[0] for k in (*self.sources, *self.consumers)}:
            await self.remove_role(role)


def _let_go(source: Source) -> None:
    """A source is done: stop its pump and drop its aiortc objects (no cycle outlives the call)."""
    if source.task is not None:
        source.task.cancel()
    source.tap = None
    source.receiver = None
    source.track = None


def _transcoding(consumer: Consumer) -> bool:
    return consumer.path == TRANSCODE


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        log.debug("keyframe_request_failed")
