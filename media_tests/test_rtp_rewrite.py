"""Per-consumer RTP numbering and keyframe detection: pure functions, no sockets."""

from __future__ import annotations

from server.media import keyframes
from server.media.rtp_rewrite import RtpRewriter, newer


def test_a_source_keeps_its_spacing_and_reordered_packets_keep_their_place() -> None:
    rewriter = RtpRewriter(first_sequence=1000, first_timestamp=90_000, timestamp_step=3000)
    assert rewriter.rewrite("a", 50, 7000) == (1000, 90_000)
    assert rewriter.rewrite("a", 52, 10_000) == (1002, 93_000)
    assert rewriter.rewrite("a", 51, 7000) == (1001, 90_000)  # late: mapped where it belongs


def test_a_new_source_continues_the_numbering_one_frame_later() -> None:
    rewriter = RtpRewriter(first_sequence=65_534, first_timestamp=2**32 - 1000, timestamp_step=3000)
    rewriter.rewrite("a", 10, 500)
    rewriter.rewrite("a", 11, 500)
    assert rewriter.rewrite("b", 40_000, 123) == (0, 2000)  # wraps over 2^16 and 2^32
    assert rewriter.rewrite("b", 40_001, 3123) == (1, 5000)


def test_sequence_arithmetic_follows_rfc_3550() -> None:
    assert newer(1, 0) and newer(0, 65_535) and not newer(0, 1) and not newer(5, 5)


def vp8_payload(keyframe: bool, start: bool = True, partition: int = 0, picture_id: int | None = 300,
                ) -> bytes:
    first = (0x80 if picture_id is not None else 0) | (0x10 if start else 0) | partition
    out = bytes([first])
    if picture_id is not None:
        out += bytes([0x80, 0x80 | (picture_id >> 8), picture_id & 0xFF])
    return out + bytes([0x00 if keyframe else 0x01, 0x9D, 0x01, 0x2A])


def test_vp8_keyframes_are_recognised_only_at_the_start_of_the_first_partition() -> None:
    assert keyframes.vp8(vp8_payload(True))
    assert keyframes.vp8(vp8_payload(True, picture_id=None))
    assert not keyframes.vp8(vp8_payload(False))
    assert not keyframes.vp8(vp8_payload(True, start=False))
    assert not keyframes.vp8(vp8_payload(True, partition=1))
    assert not keyframes.vp8(b"") and not keyframes.vp8(b"\x90") and not keyframes.vp8(b"\x90\x80")


def test_h264_keyframes_alone_aggregated_or_fragmented() -> None:
    sps, idr, slice_ = b"\x67\x42", b"\x65\x88", b"\x41\x9a"
    assert keyframes.h264(sps) and keyframes.h264(idr) and not keyframes.h264(slice_)
    stap = b"\x18" + len(sps).to_bytes(2, "big") + sps + len(idr).to_bytes(2, "big") + idr
    assert keyframes.h264(stap)
    assert not keyframes.h264(b"\x18" + len(slice_).to_bytes(2, "big") + slice_)
    assert keyframes.h264(b"\x7c\x85rest")  # FU-A, start fragment of an IDR
    assert not keyframes.h264(b"\x7c\x05rest")  # FU-A, middle fragment
    assert not keyframes.h264(b"") and not keyframes.h264(b"\x18\x00")


def test_audio_has_no_keyframes_to_wait_for() -> None:
    assert keyframes.starts_keyframe("opus", b"\x01")
