"""Synthetic media for the media tests, and aiortc client peers that drive a real server.

Video frames are 320×240 and carry, in 32×32 black/white blocks that survive VP8, the sender's id,
the frame number, the send time (ms since the test's epoch) and a checksum. Audio is a known tone.
"""

from __future__ import annotations

import asyncio
import fractions
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from server.media.aioice_compat import host_addresses
from tests.support.live import Client

# 32×32 blocks line up with VP8's 16×16 macroblocks: each is flat, cheap and survives quantisation
WIDTH, HEIGHT, BLOCK = 320, 240, 32
COLS = WIDTH // BLOCK
FPS = 15
VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms
EPOCH = time.perf_counter()


def now_ms() -> int:
    return int((time.perf_counter() - EPOCH) * 1000)


def _bits(value: int, count: int) -> list[int]:
    return [(value >> (count - 1 - i)) & 1 for i in range(count)]


def _checksum(sender: int, number: int, sent: int) -> int:
    return (sender * 31 + number * 7 + sent * 3 + (sent >> 8) + (sent >> 16)) & 0xFF


BITS = 56
COPIES = 1
ROWS_PER_COPY = 6


def encode_marker(sender: int, number: int, sent: int) -> np.ndarray:
    """A yuv420p picture (as the (H*3/2, W) array PyAV expects) carrying the marker."""
    sent &= 0xFFFFFF
    bits = (_bits(number & 0xFFFF, 16) + _bits(sent & 0xFFFF, 16) + _bits(sent >> 16, 8)
            + _bits(sender & 0xFF, 8) + _bits(_checksum(sender, number & 0xFFFF, sent), 8))
    y = np.full((HEIGHT, WIDTH), 128, dtype=np.uint8)
    for copy in range(COPIES):
        for i, bit in enumerate(bits):
            row, col = divmod(i, COLS)
            row += copy * ROWS_PER_COPY
            y[row * BLOCK:(row + 1) * BLOCK, col * BLOCK:(col + 1) * BLOCK] = 235 if bit else 16
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)
    return np.concatenate([y, chroma])


def decode_marker(frame: Any) -> tuple[int, int, int] | None:
    """(sender, number, sent_ms) from a received frame, or None if no copy's checksum matches."""
    y = frame.to_ndarray(format="gray")
    if y.shape != (HEIGHT, WIDTH):
        return None
    for copy in range(COPIES):
        bits = []
        for i in range(BITS):
            row, col = divmod(i, COLS)
            row += copy * ROWS_PER_COPY
            block = y[row * BLOCK + 8:(row + 1) * BLOCK - 8, col * BLOCK + 8:(col + 1) * BLOCK - 8]
            bits.append(1 if block.mean() > 128 else 0)

        def value(start: int, count: int, bits: list[int] = bits) -> int:
            out = 0
            for bit in bits[start:start + count]:
                out = (out << 1) | bit
            return out

        number = value(0, 16)
        sent = value(16, 16) | (value(32, 8) << 16)
        sender = value(40, 8)
        if value(48, 8) == _checksum(sender, number, sent):
            return sender, number, sent
    return None


class SyntheticVideo(MediaStreamTrack):
    kind = "video"

    def __init__(self, sender: int, fps: int = FPS) -> None:
        super().__init__()
        self.sender = sender
        self.fps = fps
        self.number = 0
        self._start: float | None = None
        self.paused = False

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self.number / self.fps
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the sender, as a camera would
        frame = av.VideoFrame.from_ndarray(
            encode_marker(self.sender, self.number, now_ms()), format="yuv420p"
        )
        frame.pts = self.number * (VIDEO_CLOCK // self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.number += 1
        return frame


class SyntheticTone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self.samples = 0
        self._start: float | None = None

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self.samples / AUDIO_RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(AUDIO_SAMPLES) + self.samples) / AUDIO_RATE
        wave = (0.3 * 32767 * np.sin(2 * np.pi * self.frequency * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.samples += AUDIO_SAMPLES
        return frame


async def until(condition: Any, timeout: float, what: str) -> None:
    """Poll a condition with a deadline, where aiortc offers no event to await."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@dataclass
class Received:
    video: list[tuple[int, int, int, int]] = field(default_factory=list)  # sender, n, sent, recv
    undecodable: int = 0
    audio_frames: int = 0
    audio: list[np.ndarray] = field(default_factory=list)
    audio_rate: int = AUDIO_RATE
    new_video: asyncio.Event = field(default_factory=asyncio.Event)
    new_audio: asyncio.Event = field(default_factory=asyncio.Event)

    def numbers(self) -> list[int]:
        return [n for _, n, _, _ in self.video]

    def senders(self) -> set[int]:
        return {s for s, _, _, _ in self.video}

    def delays(self) -> list[int]:
        return [r - s for _, _, s, r in self.video]

    def tone(self) -> float:
        joined = np.concatenate(self.audio[-50:])
        return dominant_frequency(joined, self.audio_rate)


def percentiles(values: list[float] | list[int]) -> tuple[float, float]:
    ordered = sorted(values)
    if len(ordered) < 2:
        return float(ordered[0]), float(ordered[0])
    cuts = statistics.quantiles(ordered, n=20, method="inclusive")
    return statistics.median(ordered), cuts[18]


_CANDIDATE = re.compile(r"^a=(candidate:.*|end-of-candidates)\r?\n", re.MULTILINE)


def trickled(sdp: str) -> list[tuple[str, str | None, int | None]]:
    """The candidates of each m-section, as a browser would trickle them: (candidate, mid, index)."""
    out: list[tuple[str, str | None, int | None]] = []
    for index, section in enumerate(sdp.split("\r\nm=")[1:]):
        mid = re.search(r"^a=mid:(\S+)", section, re.MULTILINE)
        for candidate in re.findall(r"^a=(candidate:[^\r\n]*)", section, re.MULTILINE):
            out.append((candidate, mid.group(1) if mid else None, index))
    return out


class ClientPeer:
    """A participant's client: one aiortc peer to the server, negotiated over its socket.

    The client is the offerer, like a browser. With `trickle`, the candidates are taken out of the
    offer and sent separately with `media_candidate`, concurrently with the offer (as a browser
    trickles them), so the server must cope with candidates before the offer.
    """

    def __init__(self, socket: Client, case_id: str | None = None, trickle: bool = True) -> None:
        self.socket = socket
        self.case_id = case_id
        self.trickle = trickle
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received = Received()
        self.tracks: list[Any] = []
        self._readers: list[asyncio.Task[None]] = []
        #: consented m-lines (screen share, age check): transceiver → consent scope
        self._labelled: list[tuple[Any, str]] = []
        self.pc.on("track", self._on_track)

    def _with_case(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.case_id is not None:
            payload["case_id"] = self.case_id
        return payload

    def send(self, track: Any, label: str | None = None) -> None:
        self.tracks.append(track)
        if label is None:
            self.pc.addTrack(track)
        else:
            self._labelled.append((self.pc.addTransceiver(track, direction="sendonly"), label))

    def receive_only(self, kind: str, label: str | None = None) -> None:
        transceiver = self.pc.addTransceiver(kind, direction="recvonly")
        if label is not None:
            self._labelled.append((transceiver, label))

    def _on_track(self, track: Any) -> None:
        self._readers.append(asyncio.create_task(self._read(track)))

    async def _read(self, track: Any) -> None:
        received = self.received
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    marker = decode_marker(frame)
                    if marker is None:
                        received.undecodable += 1
                    else:
                        received.video.append((*marker, now_ms()))
                        received.new_video.set()
                else:
                    received.audio_frames += 1
                    received.new_audio.set()
                    data = frame.to_ndarray()
                    received.audio_rate = frame.sample_rate
                    channels = len(frame.layout.channels)
                    mono = data.reshape(-1, channels)[:, 0] if frame.format.is_packed else data[0]
                    received.audio.append(mono.astype(np.float64))
                    del received.audio[:-100]
        except MediaStreamError:
            return

    async def negotiate(self) -> dict[str, Any]:
        offer = await self.pc.createOffer()
        with host_addresses(["127.0.0.1"]):
            await self.pc.setLocalDescription(offer)
        sdp = self.pc.localDescription.sdp
        candidates: list[tuple[str, str | None, int | None]] = []
        if self.trickle:
            candidates = trickled(sdp)
            sdp = _CANDIDATE.sub("", sdp)
        payload: dict[str, Any] = {"sdp": sdp, "type": "offer"}
        if self._labelled:
            payload["labels"] = {t.mid: label for t, label in self._labelled}
        call = asyncio.ensure_future(
            self.socket.call("media_offer", self._with_case(payload), timeout=10)
        )
        for candidate, mid, index in candidates:
            await self.socket.send("media_candidate", self._with_case(
                {"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": index}))
        if self.trickle:
            await self.socket.send("media_candidate", self._with_case(
                {"candidate": "", "sdpMid": None, "sdpMLineIndex": 0}))
        ack = await call
        assert ack.get("ok") is True, ack
        answer = ack["answer"]
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        return dict(ack)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        def connected() -> bool:
            assert self.pc.connectionState not in ("failed", "closed"), self.pc.connectionState
            return self.pc.connectionState == "connected"

        await until(connected, timeout, "the peer connection to connect")

    async def wait_video(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` decodable frames have arrived in total."""
        received = self.received
        deadline = time.monotonic() + timeout
        while len(received.video) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {len(received.video)} of {count} frames arrived"
            received.new_video.clear()
            try:
                await asyncio.wait_for(received.new_video.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_audio(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` audio frames have arrived in total."""
        received = self.received
        deadline = time.monotonic() + timeout
        while received.audio_frames < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {received.audio_frames} of {count} audio frames arrived"
            received.new_audio.clear()
            try:
                await asyncio.wait_for(received.new_audio.wait(), remaining)
            except TimeoutError:
                pass

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        await self.pc.close()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def sdp_mids(pc: RTCPeerConnection) -> list[str]:
    return [t.mid for t in pc.getTransceivers() if t.mid is not None]
