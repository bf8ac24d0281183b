"""Size and nesting limits, checked before any schema sees a payload."""

from __future__ import annotations

from .errors import PayloadTooDeep, PayloadTooLarge
from .safe_json import encoded_size


def check_limits(data: object, max_bytes: int, max_depth: int) -> None:
    depth = _depth(data, max_depth)
    if depth > max_depth:
        raise PayloadTooDeep(
            f"the payload nests deeper than {max_depth} levels; flatten it"
        )
    size = encoded_size(data)
    if size > max_bytes:
        raise PayloadTooLarge(
            f"the payload is {size} bytes; the limit is {max_bytes} bytes (setting max_event_bytes)"
        )


def _depth(data: object, limit: int) -> int:
    """Nesting depth, stopping early once past the limit (iterative: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = list(item)
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest
