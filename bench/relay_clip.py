"""The pre-encoded media clip every load peer sends: encoded once per run, never per frame.

Video: 300 distinct 640×480 VP8 frames (10 s at 30 fps, a keyframe every second, about 1 Mbit/s).
Row 0 of each picture carries the frame index in 32×32 black/white blocks (with a check), so a
receiver that has to decode (a server that re-encodes) can still tell which frame arrived.
Audio: 500 Opus packets of 20 ms (10 s). Packet i is a tone from a set of `TONES` frequencies, so a
decoded packet names its tone; a little seeded noise makes every encoded packet unique.

Receivers identify a frame by its encoded bytes (`Clip.video_index` / `Clip.audio_index`, dict
lookups) when the server forwards it unchanged, and by decoding (`Identifier`) otherwise.
"""

from __future__ import annotations

import fractions
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_FRAMES = 300
VIDEO_CLOCK = 90000
VIDEO_BITRATE = 1_000_000
BLOCK = 32
INDEX_BITS, CHECK_BITS = 9, 7
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms
AUDIO_PACKETS = 500
TONES = 25
TONE_BASE, TONE_STEP = 500.0, 160.0


@dataclass
class Clip:
    video: list[bytes]
    audio: list[bytes]
    #: clip index → the key a decoding receiver reads from that frame (None: ambiguous)
    video_keys: list[int | None]
    audio_keys: list[int | None]
    video_index: dict[bytes, int] = field(default_factory=dict)
    audio_index: dict[bytes, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.video_index = _unique_index(self.video)
        self.audio_index = _unique_index(self.audio)

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps((self.video, self.audio, self.video_keys, self.audio_keys)))

    @classmethod
    def load(cls, path: Path) -> Clip:
        video, audio, video_keys, audio_keys = pickle.loads(path.read_bytes())
        return cls(video, audio, video_keys, audio_keys)

    @property
    def video_bitrate(self) -> float:
        return sum(len(v) for v in self.video) * 8 * FPS / len(self.video)


def _unique_index(items: list[bytes]) -> dict[bytes, int]:
    index: dict[bytes, int] = {}
    duplicated: set[bytes] = set()
    for i, data in enumerate(items):
        if data in index:
            duplicated.add(data)
        index[data] = i
    for data in duplicated:
        del index[data]
    return index


def _check(index: int) -> int:
    return (index * 37 + 11) % (1 << CHECK_BITS)


def _bits(value: int, count: int) -> list[int]:
    return [(value >> (count - 1 - i)) & 1 for i in range(count)]


_DIAGONAL = np.add.outer(np.arange(HEIGHT), np.arange(WIDTH)).astype(np.uint8)
_CHROMA = (np.arange(HEIGHT // 4 * WIDTH).reshape(HEIGHT // 4, WIDTH) // 40 % 64).astype(np.uint8)


def picture(index: int) -> np.ndarray:
    """A yuv420p picture (H*3/2 × W) with moving content and the index marker in row 0."""
    y = _DIAGONAL + np.uint8((4 * index) % 256)  # wraps modulo 256: a moving diagonal ramp
    # a bright square crossing the picture, so motion search has real work
    x0 = (index * 7) % (WIDTH - 96)
    y[160:256, x0:x0 + 96] = 230
    y[:BLOCK, :] = 128
    for i, bit in enumerate(_bits(index, INDEX_BITS) + _bits(_check(index), CHECK_BITS)):
        y[:BLOCK, i * BLOCK:(i + 1) * BLOCK] = 235 if bit else 16
    u = np.full((HEIGHT // 4, WIDTH), 128, dtype=np.uint8)
    v = (_CHROMA + np.uint8(index % 64)) % 64 + 96
    return np.concatenate([y, u, v.astype(np.uint8)])


def read_marker(luma: np.ndarray) -> int | None:
    """The index carried by a decoded picture's luma plane, or None."""
    bits = [1 if luma[8:BLOCK - 8, i * BLOCK + 8:(i + 1) * BLOCK - 8].mean() > 128 else 0
            for i in range(INDEX_BITS + CHECK_BITS)]
    value = 0
    for bit in bits[:INDEX_BITS]:
        value = (value << 1) | bit
    check = 0
    for bit in bits[INDEX_BITS:]:
        check = (check << 1) | bit
    return value if check == _check(value) and value < VIDEO_FRAMES else None


def tone(key: int) -> float:
    return TONE_BASE + TONE_STEP * key


def read_tone(samples: np.ndarray) -> int | None:
    """The tone key of a decoded 20 ms packet (mono float samples), or None if silent."""
    if len(samples) < 64 or float(np.abs(samples).max()) < 1e-3:
        return None
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak = float(np.fft.rfftfreq(len(samples), 1 / AUDIO_RATE)[int(np.argmax(spectrum))])
    key = round((peak - TONE_BASE) / TONE_STEP)
    return key if 0 <= key < TONES and abs(peak - tone(key)) < TONE_STEP / 2 else None


def _encode_video() -> list[bytes]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = VIDEO_BITRATE
    codec.gop_size = FPS
    codec.options = {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0",
                     "auto-alt-ref": "0", "static-thresh": "0", "error-resilient": "1"}
    packets: list[bytes] = []
    for index in range(VIDEO_FRAMES):
        frame = av.VideoFrame.from_ndarray(picture(index), format="yuv420p")
        frame.pts = index
        encoded = codec.encode(frame)
        if len(encoded) != 1:
            raise RuntimeError(f"libvpx gave {len(encoded)} packets for frame {index}, expected 1")
        packets.append(bytes(encoded[0]))
    return packets


def _encode_audio() -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = AUDIO_RATE, "mono", "s16"
    codec.bit_rate = 32000
    codec.time_base = fractions.Fraction(1, AUDIO_RATE)
    rng = np.random.default_rng(6)
    phase = 0.0
    out: list[bytes] = []
    t = np.arange(AUDIO_SAMPLES) / AUDIO_RATE
    for index in range(AUDIO_PACKETS + 8):
        frequency = tone(index % TONES)
        wave = 0.3 * np.sin(phase + 2 * np.pi * frequency * t) + 0.01 * rng.standard_normal(AUDIO_SAMPLES)
        phase = (phase + 2 * np.pi * frequency * AUDIO_SAMPLES / AUDIO_RATE) % (2 * np.pi)
        frame = av.AudioFrame.from_ndarray((wave * 32767).astype(np.int16).reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate, frame.pts = AUDIO_RATE, index * AUDIO_SAMPLES
        out.extend(bytes(p) for p in codec.encode(frame))
    return out[:AUDIO_PACKETS]


def build() -> Clip:
    video, audio = _encode_video(), _encode_audio()
    if len(audio) < AUDIO_PACKETS:
        raise RuntimeError(f"libopus gave {len(audio)} packets, expected {AUDIO_PACKETS}")
    identifier = Identifier()
    video_keys = [identifier.video(v) for v in video]
    audio_keys = [identifier.audio(a) for a in audio]
    # a key two neighbours share cannot tell them apart: leave those packets out of decode mode
    for i in range(1, len(audio_keys)):
        if audio_keys[i] is not None and audio_keys[i] == audio_keys[i - 1]:
            audio_keys[i] = None
    return Clip(video, audio, video_keys, audio_keys)


class Identifier:
    """Decodes one received stream per kind and reads the key each frame carries."""

    def __init__(self) -> None:
        self._vp8: Any = av.CodecContext.create("vp8", "r")
        self._opus: Any = av.CodecContext.create("opus", "r")

    def video(self, data: bytes) -> int | None:
        try:
            frames = self._vp8.decode(av.Packet(data))
        except av.FFmpegError:
            return None
        for frame in frames:
            plane = frame.planes[0]
            luma = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
            return read_marker(luma[:, :frame.width])
        return None

    def audio(self, data: bytes) -> int | None:
        try:
            frames = self._opus.decode(av.Packet(data))
        except av.FFmpegError:
            return None
        for frame in frames:
            samples = frame.to_ndarray().astype(np.float64)
            channels = len(frame.layout.channels)
            mono = samples.reshape(-1, channels)[:, 0] if frame.format.is_packed else samples[0]
            return read_tone(mono / 32768.0 if frame.format.name.startswith("s16") else mono)
        return None
