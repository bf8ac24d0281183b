"""CORS for the endpoints the embedded widget calls from shop domains (same origins as Socket.IO).

The allowed origins are the server's own and `cors_allowed_origins` (server/web/origins.py).
A refused embed is told why: `GET /api/widget/status` from an origin that is not allowed answers
`403 origin_not_allowed` naming the setting, readable by that page (the diagnostic says nothing
about the service), so the widget can print it in the shop owner's browser console.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.errors import OriginNotAllowed
from .keys import SETTINGS
from .origins import SETTING, OriginPolicy, own_origins, refusal_message

#: what a browser on a shop page calls; everything else stays same-origin
WIDGET_PATHS = frozenset({
    "/api/widget/status",
    "/api/ab/assignment",
    "/api/sessions/exposure",
    "/api/sessions/progress",
    "/api/photos",  # the customer's photo upload (Bearer case token)
})
#: the endpoint that answers a refused origin with the diagnostic instead of silence
DIAGNOSTIC_PATH = "/api/widget/status"

ORIGIN_POLICY: web.AppKey[OriginPolicy] = web.AppKey("origin_policy", OriginPolicy)


def request_own_origins(request: web.Request) -> frozenset[str]:
    return own_origins(request.scheme, request.headers.get("Host"),
                       request.headers.get("X-Forwarded-Proto"),
                       request.headers.get("X-Forwarded-Host"))


def _allowed(request: web.Request) -> str | None:
    """The request's `Origin` when it may read the answer, else None (also for no `Origin`)."""
    origin = request.headers.get("Origin")
    if origin and request.app[ORIGIN_POLICY].allows(origin, request_own_origins(request)):
        return origin
    return None


def _diagnostic(origin: str) -> web.Response:
    refusal = OriginNotAllowed(refusal_message(origin))
    return web.json_response(
        {"error": {"code": refusal.code, "message": refusal.message, "setting": SETTING,
                   "origin": origin}},
        status=403,
        headers={"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Cache-Control": "no-store"},
    )


@web.middleware
async def widget_cors(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path not in WIDGET_PATHS:
        response: web.StreamResponse = await handler(request)
        return response
    origin = _allowed(request)
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        preflight = web.Response(status=204 if origin else 403)
        if origin:
            preflight.headers.update({
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Content-Type, Authorization",
                "Access-Control-Max-Age": str(
                    request.app[SETTINGS].network.preflight_max_age_seconds),
                "Vary": "Origin",
            })
        return preflight
    refused = request.headers.get("Origin") if origin is None else None
    if refused and request.path == DIAGNOSTIC_PATH and request.method == "GET":
        return _diagnostic(refused)
    response = await handler(request)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
