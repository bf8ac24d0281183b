"""The ONE place where Helpwire changes aiortc's media path. Pinned to aiortc 1.16.x; keep it small.

aiortc decodes everything it receives and encodes everything it sends. To forward media as it
arrives, without decoding, re-encoding or a jitter buffer of the server's own:

1. **Receiver tap** (`ReceiverTap`). aiortc calls the receiver's jitter buffer
   (`RTCRtpReceiver._RTCRtpReceiver__jitter_buffer`) with every RTP packet *after* SRTP, receive
   statistics, RTX unwrapping, NACK generation and depayloading — exactly where a packet is ready to
   forward. The tap wraps that jitter buffer: each packet is handed to the callback, and goes on to
   the real jitter buffer (and the decoder thread) only while `tap.decode` is on (a consumer whose
   codec differs needs decoded frames). `add()` is synchronous and sending is not, so the tapped
   packet is forwarded by a wrapper of the instance's `_handle_rtp_packet`, as soon as aiortc's own
   handling returns: no task, no thread hop, nothing buffered.
2. **Sender outlet** (`RtpOutlet`). Writes packets on a sender's DTLS transport with the sender's
   SSRC, payload type and mid, and keeps aiortc's sender bookkeeping (retransmission history for
   the consumer's NACKs, the counters its Sender Reports carry), as if aiortc had packetised them.
3. **Keyframe requests.** A consumer's PLI/FIR ends in `RTCRtpSender._send_keyframe`, which would
   only force the server's own encoder; `on_keyframe_request` replaces it per sender so the request
   reaches the original sender (`request_keyframe(receiver)` → RTCP PLI via `_send_rtcp_pli`).
4. **Encoded receive** (`receive_encoded`): a receiver's track yields encoded frames (`av.Packet`)
   instead of decoded ones — for load generators and tests that must not pay for decoding.

Every change is per instance; aiortc's classes and module functions are left untouched. `check()`
verifies every internal relied on and raises `IncompatibleAiortc` naming what changed;
`media_tests/test_forwarding.py` runs it on a real peer connection.
"""

from __future__ import annotations

import asyncio
import fractions
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiortc
import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

TESTED_AIORTC = ("1.16.",)

_JITTER = "_RTCRtpReceiver__jitter_buffer"
_HISTORY = "_RTCRtpSender__rtp_history"
_EXTENSIONS = "_RTCRtpSender__rtp_header_extensions_map"
_SENDER_COUNTERS = ("_RTCRtpSender__ntp_timestamp", "_RTCRtpSender__rtp_timestamp",
                    "_RTCRtpSender__octet_count", "_RTCRtpSender__packet_count")
_NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 to 1970
_HISTORY_SIZE = 128  # aiortc's RTP_HISTORY_SIZE: packets kept for retransmission per sender

PacketHandler = Callable[[RtpPacket, RTCRtpCodecParameters], Awaitable[None]]


def ntp_now() -> int:
    """The wall clock as a 64-bit NTP timestamp: what aiortc's `clock.current_ntp_time()` returns,
    computed without building a datetime (it is needed for every forwarded packet)."""
    return int((time.time() + _NTP_EPOCH_OFFSET) * 4294967296)


class IncompatibleAiortc(RuntimeError):
    pass


def check(receiver: RTCRtpReceiver | None = None, sender: RTCRtpSender | None = None) -> None:
    """Fail loudly if aiortc's internals differ from what this module relies on.

    With a receiver and a sender (of a real peer connection), their private state is checked too.
    """
    version = getattr(aiortc, "__version__", "?")
    if not version.startswith(TESTED_AIORTC):
        raise IncompatibleAiortc(
            f"aiortc {version} is not a version server/media/aiortc_compat.py was tested with"
            f" ({', '.join(v + 'x' for v in TESTED_AIORTC)}): run media_tests/test_forwarding.py"
            " against it and update the adapter and the pin in pyproject.toml")
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    for needle in ("unwrap_rtx(", "self.__nack_generator", "depayload(", "self.__jitter_buffer.add("):
        if needle not in handle:
            raise IncompatibleAiortc(
                f"RTCRtpReceiver._handle_rtp_packet no longer contains {needle!r}: the receiver tap"
                " in server/media/aiortc_compat.py would not see packets where it expects them")
    if not inspect.iscoroutinefunction(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        raise IncompatibleAiortc("RTCRtpReceiver._send_rtcp_pli is gone: keyframe requests need"
                                 " another way (server/media/aiortc_compat.py)")
    if "self._send_keyframe()" not in inspect.getsource(RTCRtpSender._handle_rtcp_packet):
        raise IncompatibleAiortc("RTCRtpSender no longer handles PLI/FIR with _send_keyframe():"
                                 " keyframe requests would not reach the original sender")
    if "self.__rtp_history.get(" not in inspect.getsource(RTCRtpSender._retransmit):
        raise IncompatibleAiortc("RTCRtpSender._retransmit no longer reads __rtp_history:"
                                 " forwarded packets could not be retransmitted")
    if receiver is not None and not hasattr(getattr(receiver, _JITTER, None), "add"):
        raise IncompatibleAiortc(f"RTCRtpReceiver has no {_JITTER} with add()")
    if sender is not None:
        for name in (_HISTORY, _EXTENSIONS, *_SENDER_COUNTERS):
            if not hasattr(sender, name):
                raise IncompatibleAiortc(f"RTCRtpSender has no {name}")


class ReceiverTap:
    """Hands every RTP packet a receiver gets to `on_packet`; decodes only while `decode` is on.

    See the module docstring, point 1.
    """

    def __init__(self, receiver: RTCRtpReceiver, on_packet: PacketHandler) -> None:
        self.decode = False
        self.codecs: dict[int, RTCRtpCodecParameters] = {}
        self._on_packet = on_packet
        self._pending: RtpPacket | None = None
        self._jitter = getattr(receiver, _JITTER)
        setattr(receiver, _JITTER, self)
        original_handle = receiver._handle_rtp_packet
        original_receive = receiver.receive

        async def receive(parameters: Any) -> None:
            self.codecs = {c.payloadType: c for c in parameters.codecs}
            await original_receive(parameters)

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            await original_handle(packet, arrival_time_ms)
            tapped, self._pending = self._pending, None
            if tapped is not None:
                codec = self.codecs.get(tapped.payload_type)
                if codec is not None:
                    await self._on_packet(tapped, codec)

        receiver.receive = receive  # type: ignore[method-assign]
        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]

    # the jitter buffer's interface, as aiortc's receiver calls it
    def add(self, packet: RtpPacket) -> tuple[bool, Any]:
        if packet.payload:  # padding-only packets (bandwidth probes) carry nothing to forward
            self._pending = packet
        if self.decode:
            return self._jitter.add(packet)  # type: ignore[no-any-return]
        return False, None

    @property
    def capacity(self) -> int:
        return self._jitter.capacity  # type: ignore[no-any-return]


class RtpOutlet:
    """Writes forwarded RTP packets on one sender, as that sender; see point 2."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self.sender = sender
        self.codec: RTCRtpCodecParameters | None = None
        self.mid: str | None = None
        #: called once the sender is negotiated and its transport is about to connect
        self.on_ready: Callable[[], None] | None = None
        self._history: dict[int, RtpPacket] = getattr(sender, _HISTORY)
        self._extensions = getattr(sender, _EXTENSIONS)
        original_send = sender.send

        async def send(parameters: Any) -> None:
            self.codec = parameters.codecs[0]
            self.mid = parameters.muxId
            await original_send(parameters)
            if self.on_ready is not None:
                self.on_ready()

        sender.send = send  # type: ignore[method-assign]

    @property
    def ready(self) -> bool:
        return self.codec is not None

    async def send(self, source: RtpPacket, sequence_number: int, timestamp: int) -> bool:
        """Send `source`'s payload with our numbering. False if the transport is not connected."""
        assert self.codec is not None and self.codec.payloadType is not None
        packet = RtpPacket(payload_type=self.codec.payloadType, marker=source.marker,
                           sequence_number=sequence_number, timestamp=timestamp,
                           ssrc=self.sender._ssrc, payload=source.payload)
        packet.extensions.mid = self.mid
        ntp = ntp_now()
        packet.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        if source.extensions.audio_level is not None:
            packet.extensions.audio_level = source.extensions.audio_level
        try:
            await self.sender.transport._send_rtp(packet.serialize(self._extensions))
        except ConnectionError:
            return False
        # what aiortc's own RTP loop keeps: NACK history (bounded) and Sender Report counters
        self._history[sequence_number % _HISTORY_SIZE] = packet
        sender: Any = self.sender
        sender._RTCRtpSender__ntp_timestamp = ntp
        sender._RTCRtpSender__rtp_timestamp = timestamp
        sender._RTCRtpSender__octet_count += len(packet.payload)
        sender._RTCRtpSender__packet_count += 1
        return True

    def forget(self) -> None:
        """Drop the retransmission history: no media is kept once a stream stops."""
        self._history.clear()


def release(pc: Any) -> None:
    """After `pc.close()` has completed: take the closed peer connection apart.

    An aiortc peer connection is a web of reference cycles (connection ↔ transceivers ↔ senders and
    receivers ↔ DTLS and ICE transports ↔ their protocols), freed only by the garbage collector. When
    the server freezes its heap periodically (`gc_freeze_interval_seconds`, so that full collections
    do not walk thousands of idle connections), a call that was live at a freeze would stay in the
    frozen generation after it ends, until the next thaw: hundreds of kilobytes per call. Emptying
    the instance dictionaries of those objects breaks the cycles, so reference counting frees the
    call at once, frozen or not. Nothing may use `pc` afterwards.
    """
    seen: set[int] = set()
    objects: list[Any] = [pc]
    for transceiver in pc.getTransceivers():
        objects += [transceiver, transceiver.sender, transceiver.receiver]
        for endpoint in (transceiver.sender, transceiver.receiver):
            dtls = getattr(endpoint, "transport", None)
            ice = getattr(dtls, "transport", None)
            gatherer = getattr(ice, "iceGatherer", None)
            connection = getattr(ice, "_connection", None)
            objects += [o for o in (getattr(endpoint, "track", None), dtls, ice, gatherer, connection)
                        if o is not None]
    sctp = getattr(pc, "sctp", None)
    if sctp is not None:
        objects.append(sctp)
    for item in objects:
        if id(item) in seen or not hasattr(item, "__dict__"):
            continue
        seen.add(id(item))
        item.__dict__.clear()


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None], *,
                        also_encoder: Callable[[], bool]) -> None:
    """Route the consumer's PLI/FIR to `callback`; also to aiortc's encoder while `also_encoder()`."""
    original = sender._send_keyframe

    def send_keyframe() -> None:
        callback()
        if also_encoder():
            original()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Ask the original sender of `receiver`'s track for a keyframe (RTCP PLI). False if unknown."""
    sources = receiver.getSynchronizationSources()
    if not sources:
        return False
    for source in sources:
        await receiver._send_rtcp_pli(source.source)
    return True


class _EncodedFrames:
    """Stands in for a receiver's jitter buffer: hands each complete encoded frame to the track.

    A frame is complete at its marker bit when its packets are contiguous from the one after the
    previous frame's marker (audio: every packet is a frame). Nothing waits for the next frame,
    unlike aiortc's jitter buffer, so a load generator measures the network path, not its buffer.
    """

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self._jitter = getattr(receiver, _JITTER)
        self._queue: asyncio.Queue[Any] = receiver.track._queue  # type: ignore[attr-defined]
        self._video = receiver.track.kind == "video"
        self._time_base = fractions.Fraction(1, 90000 if self._video else 48000)
        self._timestamp: int | None = None
        self._parts: dict[int, bytes] = {}
        self._next_first: int | None = None  # sequence number after the last complete frame

    @property
    def capacity(self) -> int:
        return self._jitter.capacity  # type: ignore[no-any-return]

    def add(self, packet: RtpPacket) -> tuple[bool, Any]:
        data: bytes = packet._data  # type: ignore[attr-defined]
        if not self._video:
            self._emit(data, packet.timestamp)
            return False, None
        if packet.timestamp != self._timestamp:
            self._timestamp, self._parts = packet.timestamp, {}
        self._parts[packet.sequence_number] = data
        if packet.marker:
            marker = packet.sequence_number
            first = max(self._parts, key=lambda s: (marker - s) & 0xFFFF)
            count = ((packet.sequence_number - first) & 0xFFFF) + 1
            if len(self._parts) == count and (self._next_first in (None, first)):
                self._emit(b"".join(self._parts[(first + i) & 0xFFFF] for i in range(count)),
                           packet.timestamp)
            self._next_first = (packet.sequence_number + 1) & 0xFFFF
            self._parts, self._timestamp = {}, None
        return False, None

    def _emit(self, data: bytes, timestamp: int) -> None:
        encoded = av.Packet(data)
        encoded.pts = timestamp
        encoded.time_base = self._time_base
        self._queue.put_nowait(encoded)


def receive_encoded(receiver: RTCRtpReceiver) -> None:
    """Make `receiver.track.recv()` return encoded frames (`av.Packet`); call before media flows."""
    setattr(receiver, _JITTER, _EncodedFrames(receiver))
