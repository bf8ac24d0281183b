"""The JSON codec given to python-socketio: orjson where it can, the standard library where it can't.

orjson encodes and decodes several times faster than the standard library, and Socket.IO
encodes or decodes every event once per packet (docs/performance.md). What orjson refuses is handed
to the standard library unchanged, so nothing a client sees changes: objects orjson cannot encode
(non-string keys, integers past 64 bits), and text it will not decode (`NaN`, or nesting deeper
than its limit).

A payload too deep even for Python's decoder (it raises RecursionError past about a thousand
levels) would make python-socketio drop the packet unanswered. Decoding it instead as the internal
event TOO_DEEP_EVENT lets the namespace answer `payload_too_deep` like any other refused event
(keeping the acknowledgement id).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

TOO_DEEP_EVENT = "__helpwire_payload_too_deep__"


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    # python-socketio asks for compact separators, which is all orjson writes
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, *args, **kwargs)


def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text, *args, **kwargs)
    except RecursionError:
        return [TOO_DEEP_EVENT, {}]


def encoded_size(obj: Any) -> int:
    """Bytes of `obj` as compact UTF-8 JSON (the measure of max_event_bytes)."""
    try:
        return len(orjson.dumps(obj))
    except TypeError:
        return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())
