"""CORS for the endpoints the embedded widget calls from shop domains (same origins as Socket.IO)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .keys import SETTINGS

#: what a browser on a shop page calls; everything else stays same-origin
WIDGET_PATHS = frozenset({
    "/api/widget/status",
    "/api/ab/assignment",
    "/api/sessions/exposure",
    "/api/sessions/progress",
    "/api/photos",  # the customer's photo upload (Bearer case token)
})
PREFLIGHT_MAX_AGE_SECONDS = 600


def _allowed(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    allowed = request.app[SETTINGS].cors_allowed_origins
    if origin and (origin in allowed or "*" in allowed):
        return origin
    return None


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
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
                "Vary": "Origin",
            })
        return preflight
    response = await handler(request)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
