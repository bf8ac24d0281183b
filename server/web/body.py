"""JSON request bodies: media type, nesting depth (measured on the text, before parsing), syntax.

A body nested a thousand levels deep made Python's decoder raise RecursionError (a 500). Its
depth is counted on the raw text first, strings taken out, so no decoder ever sees one deeper than
``max_json_depth``; orjson then decodes it (it refuses lone surrogates and NaN, which JSON has not).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from .keys import SETTINGS

#: a JSON string literal (escapes included): brackets inside one do not nest anything
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class BodyRefused(web.HTTPBadRequest):
    """400 with the JSON error body of the given code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(text=orjson.dumps({"error": {"code": code, "message": message}}).decode(),
                         content_type="application/json")


class UnsupportedBody(web.HTTPUnsupportedMediaType):
    def __init__(self) -> None:
        super().__init__(text=orjson.dumps({"error": {
            "code": "unsupported_media_type", "message": "send the body as application/json"}}).decode(),
            content_type="application/json")


def json_depth(text: bytes, limit: int) -> int:
    """Deepest nesting of objects and arrays in JSON text, stopping once past ``limit``."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRING.sub(b'""', text)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


async def read_json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise UnsupportedBody()
    body = await request.read()
    limit = request.app[SETTINGS].limits.max_json_depth
    if json_depth(body, limit) > limit:
        raise BodyRefused("payload_too_deep",
                          f"the body nests deeper than {limit} levels (setting limits.max_json_depth)")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BodyRefused("invalid_json", "the body is not valid JSON (UTF-8, no NaN)") from None
