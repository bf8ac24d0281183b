"""Size, nesting and encoding limits, checked before any schema sees a payload.

One walk over the decoded payload finds its depth and anything JSON text cannot carry on to the
schema and the database: binary attachments (Socket.IO's binary events), lone UTF-16 surrogates
(`"\\ud800"` decodes, but is no character and cannot be written as UTF-8) and `NaN`/`Infinity`
(not JSON numbers). Each is refused as `invalid_payload` naming the field, so the size check that
follows always measures plain UTF-8 JSON.
"""

from __future__ import annotations

import math

from .errors import InvalidPayload, PayloadTooDeep, PayloadTooLarge
from .safe_json import encoded_size

#: a field name in an error is cut to this many characters (keys come from the client)
MAX_FIELD_NAME_CHARS = 64

Path = tuple[str | int, ...]


def check_limits(data: object, max_bytes: int, max_depth: int) -> None:
    depth = _walk(data, max_depth)
    if depth > max_depth:
        raise PayloadTooDeep(
            f"the payload nests deeper than {max_depth} levels; flatten it"
        )
    size = encoded_size(data)
    if size > max_bytes:
        raise PayloadTooLarge(
            f"the payload is {size} bytes; the limit is {max_bytes} bytes (setting limits.max_event_bytes)"
        )


def field_name(path: Path) -> str:
    """`context.cart.lines.0.sku`, or `(payload)` for the payload itself."""
    name = ".".join(str(part) for part in path) or "(payload)"
    if len(name) > MAX_FIELD_NAME_CHARS:
        name = name[:MAX_FIELD_NAME_CHARS] + "…"
    return name


def _walk(data: object, limit: int) -> int:
    """Nesting depth, stopping early once past the limit (iterative: no recursion to exhaust);
    raises InvalidPayload at the first value JSON text cannot carry."""
    deepest = 0
    stack: list[tuple[object, int, Path]] = [(data, 1, ())]
    while stack:
        item, level, path = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            for key, child in item.items():
                if not isinstance(key, str) or not _encodable(key):
                    _refuse(path, "a key is not valid UTF-8 text (a lone surrogate?)")
                stack.append((child, level + 1, (*path, key)))
        elif isinstance(item, list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1, (*path, index)) for index, child in enumerate(item))
        elif isinstance(item, str):
            if not _encodable(item):
                _refuse(path, "the text has a lone UTF-16 surrogate, which is not a character")
        elif isinstance(item, (bytes, bytearray, memoryview)):
            _refuse(path, "binary data is not accepted; send JSON text")
        elif isinstance(item, float) and not math.isfinite(item):
            _refuse(path, "NaN and Infinity are not JSON numbers")
    return deepest


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse(path: Path, problem: str) -> None:
    name = field_name(path)
    raise InvalidPayload(f"{name}: {problem}", [{"field": name, "problem": problem}])
