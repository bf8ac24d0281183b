"""Whether an RTP payload starts a keyframe, so a new consumer can begin where a picture begins.

Forwarded video is decodable only from a keyframe on: a consumer that joins (or whose source
changes) gets nothing until one passes, instead of seconds of broken picture. VP8 per RFC 7741,
H.264 per RFC 6184 (an IDR slice or the SPS that precedes it, alone, in a STAP-A or the first
fragment of an FU-A). Malformed payloads are "not a keyframe", never an exception.
"""

from __future__ import annotations

_H264_KEY_NALS = frozenset({5, 7})  # IDR slice, sequence parameter set


def vp8(payload: bytes) -> bool:
    if not payload:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S bit: start of a partition; PID 0: the first one
        return False
    pos = 1
    if first & 0x80:  # X: extension byte follows
        if len(payload) < 2:
            return False
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/KEYIDX byte
            pos += 1
    return len(payload) > pos and not payload[pos] & 0x01  # P bit 0: a key frame


def h264(payload: bytes) -> bool:
    if not payload:
        return False
    kind = payload[0] & 0x1F
    if kind in _H264_KEY_NALS:
        return True
    if kind == 24:  # STAP-A: 16-bit size, NAL unit, repeated
        pos = 1
        while pos + 2 < len(payload):
            size = int.from_bytes(payload[pos:pos + 2], "big")
            if payload[pos + 2] & 0x1F in _H264_KEY_NALS:
                return True
            pos += 2 + size
        return False
    if kind == 28:  # FU-A: the start fragment names the NAL type
        return len(payload) > 1 and bool(payload[1] & 0x80) and payload[1] & 0x1F in _H264_KEY_NALS
    return False


def starts_keyframe(codec_name: str, payload: bytes) -> bool:
    """For codecs without keyframes (audio) every packet is a starting point."""
    name = codec_name.lower()
    if name == "vp8":
        return vp8(payload)
    if name == "h264":
        return h264(payload)
    return True
