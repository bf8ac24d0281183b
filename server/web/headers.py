"""Security headers on every HTTP answer: a Content-Security-Policy with no inline script, no
framing of the console and supervisor view, no MIME sniffing, a cautious Referrer-Policy.

Set when a response is prepared (aiohttp's on_response_prepare), so static files, JSON and
error pages get them too. The demo shop and the kiosk page may be framed by their own origin
only; the widget is embedded on shops as a script, never in a frame (docs/widget.md), so it needs
no frame-ancestors of its own. HSTS is the reverse proxy's (docs/security.md).
"""

from __future__ import annotations

from aiohttp import web

#: the widget's files: a shop's page on another origin imports its chunks as ES modules, which a
#: browser fetches in CORS mode (public code, no credentials; the API checks the origin itself)
WIDGET_FILES = "/static/widget/"

#: pages whose framing would let another site overlay them (clickjacking a signed-in agent)
UNFRAMEABLE = ("/agent", "/supervisor", "/admin")

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
CSP_UNFRAMEABLE = _POLICY.format(ancestors="'none'")
CSP_PAGES = _POLICY.format(ancestors="'self'")


def _unframeable(path: str) -> bool:
    return any(path == page or path.startswith(page + "/") for page in UNFRAMEABLE)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith(WIDGET_FILES):
        headers.setdefault("Access-Control-Allow-Origin", "*")
    if _unframeable(request.path):
        headers.setdefault("Content-Security-Policy", CSP_UNFRAMEABLE)
        headers.setdefault("X-Frame-Options", "DENY")
    elif response.content_type == "text/html" or request.path in ("/", "/kiosk"):
        headers.setdefault("Content-Security-Policy", CSP_PAGES)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(security_headers)
