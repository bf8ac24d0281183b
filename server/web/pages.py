"""The web clients' pages and static files: demo shop at /, kiosk at /kiosk, agent console at /agent,
admin at /admin."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .assets import VENDOR, WEB_CLIENT

__all__ = ["WEB_CLIENT", "setup"]


def _page(path: Path) -> web.Response | web.FileResponse:
    if not path.is_file():
        raise web.HTTPNotFound(text=f"{path.name} is missing from web_client/")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


async def shop(request: web.Request) -> web.StreamResponse:
    return _page(WEB_CLIENT / "shop" / "index.html")


async def kiosk(request: web.Request) -> web.StreamResponse:
    return _page(WEB_CLIENT / "kiosk" / "index.html")


async def agent(request: web.Request) -> web.StreamResponse:
    return _page(WEB_CLIENT / "agent" / "index.html")


async def admin(request: web.Request) -> web.StreamResponse:
    return _page(WEB_CLIENT / "admin" / "index.html")


async def vendor(request: web.Request) -> web.StreamResponse:
    path = VENDOR.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    if not path.is_file():
        raise web.HTTPServiceUnavailable(
            text="browser libraries are not installed: run `npm ci` (make run does it)"
        )
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


def setup(app: web.Application) -> None:
    app.router.add_get("/", shop)
    app.router.add_get("/kiosk", kiosk)
    app.router.add_get("/agent", agent)
    app.router.add_get("/admin", admin)
    app.router.add_get("/vendor/{name}", vendor)
    app.router.add_static("/static/", WEB_CLIENT, show_index=False, append_version=False)
