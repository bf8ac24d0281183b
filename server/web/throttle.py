"""HTTP's side of the rate limits: a refused request answers ``429 rate_limited`` with Retry-After."""

from __future__ import annotations

import hashlib

from aiohttp import web

from ..security.addresses import request_address
from ..security.ratelimit import RateLimited, TokenBucket
from .errors import error_response
from .keys import SERVICES


def too_many(error: RateLimited) -> web.Response:
    response = web.json_response(
        {"error": {"code": error.code, "message": error.message,
                   "retry_after": error.retry_after}},
        status=429, headers={"Retry-After": str(error.retry_after)})
    return response


def address_of(request: web.Request) -> str:
    return request_address(request, request.app[SERVICES].guard.proxies)


def bearer_key(request: web.Request) -> str:
    """Who is calling with a Bearer key: a digest of the key (the key itself is not kept)."""
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    return "key:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]


def take(bucket: TokenBucket, key: str) -> web.Response | None:
    """None when ``key`` may go on, else the 429 answer to return."""
    try:
        bucket.take(key)
    except RateLimited as error:
        return too_many(error)
    return None


__all__ = ["address_of", "bearer_key", "error_response", "take", "too_many"]
