"""The Socket.IO JSON codec: orjson's speed, the standard library's answers for what orjson refuses."""

from __future__ import annotations

import json

from server.signalling.safe_json import TOO_DEEP_EVENT, dumps, encoded_size, loads


def test_events_round_trip_compactly_with_non_ascii_text() -> None:
    event = ["chat_send", {"text": "Kortet nekas – 142,50 kr", "n": 1, "x": 0.5, "ok": True}]
    text = dumps(event, separators=(",", ":"))
    assert isinstance(text, str) and " " not in text.replace("Kortet nekas – 142,50 kr", "")
    assert loads(text) == event
    assert json.loads(text) == event


def test_what_orjson_refuses_is_left_to_the_standard_library() -> None:
    assert json.loads(dumps({1: "integer key", "big": 2**70})) == {"1": "integer key", "big": 2**70}
    assert loads('["x", {"v": NaN}]')[1]["v"] != 0  # NaN, as the standard decoder reads it


def test_nesting_too_deep_for_any_decoder_becomes_the_too_deep_event() -> None:
    assert loads("[" * 5000 + "]" * 5000) == [TOO_DEEP_EVENT, {}]


def test_encoded_size_counts_compact_utf8_bytes() -> None:
    payload = {"text": "åäö", "n": [1, 2]}
    assert encoded_size(payload) == len(json.dumps(payload, ensure_ascii=False,
                                                   separators=(",", ":")).encode())
    assert encoded_size({1: "x"}) == len('{"1":"x"}')
