"""One continuous RTP numbering per consumer, whichever source feeds it and whenever it changes.

A forwarded packet keeps its payload but takes the consumer's sequence numbers and timestamps:
the offsets are fixed when a source starts feeding the consumer, so reordered and retransmitted
packets of that source map to the numbers they would have had. When the source changes (the
participant reconnected), numbering continues from the last packet sent, one frame later, so the
receiver sees one stream, not a jump it might take for loss or a wrap.
"""

from __future__ import annotations

from collections.abc import Hashable

SEQUENCE_SPAN = 1 << 16
TIMESTAMP_SPAN = 1 << 32


def newer(a: int, b: int) -> bool:
    """RFC 3550 sequence arithmetic: is `a` after `b`?"""
    return 0 < (a - b) % SEQUENCE_SPAN < SEQUENCE_SPAN // 2


class RtpRewriter:
    def __init__(self, first_sequence: int, first_timestamp: int, timestamp_step: int) -> None:
        self._source: Hashable | None = None
        self._sequence_offset = 0
        self._timestamp_offset = 0
        self._last_sequence = (first_sequence - 1) % SEQUENCE_SPAN
        self._last_timestamp = (first_timestamp - timestamp_step) % TIMESTAMP_SPAN
        self._step = timestamp_step

    @property
    def source(self) -> Hashable | None:
        return self._source

    def rewrite(self, source: Hashable, sequence_number: int, timestamp: int) -> tuple[int, int]:
        if source != self._source:
            self._source = source
            self._sequence_offset = (self._last_sequence + 1 - sequence_number) % SEQUENCE_SPAN
            self._timestamp_offset = (self._last_timestamp + self._step - timestamp) % TIMESTAMP_SPAN
        out_sequence = (sequence_number + self._sequence_offset) % SEQUENCE_SPAN
        out_timestamp = (timestamp + self._timestamp_offset) % TIMESTAMP_SPAN
        if newer(out_sequence, self._last_sequence):
            self._last_sequence, self._last_timestamp = out_sequence, out_timestamp
        return out_sequence, out_timestamp
