"""Photos over HTTP: the customer uploads with their case token, the agent fetches with theirs.

`POST /api/photos` (``Authorization: Bearer <case token>``, the image bytes as the body) →
201 ``{photo: {...}}``; the agent is told ``photo_shared`` over Socket.IO and fetches
`GET /api/photos/{photo_id}` (``Authorization: Bearer <agent token>``) → the cleaned JPEG,
``Cache-Control: no-store``. The body is read up to ``photos.max_bytes`` and no further (the
application's 64 KiB limit is for JSON bodies); nothing of it touches a disk (docs/photos.md).
"""

from __future__ import annotations

from aiohttp import web

from ..core.errors import HelpwireError, PhotoTooLarge
from ..security.ratelimit import RateLimited
from ..security.tokens import InvalidToken
from . import throttle
from .api import _bearer_agent
from .errors import error_response, retry_after
from .keys import SERVICES

routes = web.RouteTableDef()

#: the HTTP status of each refusal (its code is the error's own)
STATUS = {
    "photo_too_large": 413,
    "photo_too_many_pixels": 413,
    "photo_type_refused": 415,
    "photo_unreadable": 422,
    "photo_needs_agent": 409,
    "photo_case_budget_full": 409,
    "photo_memory_full": 503,
    "photo_not_found": 404,
    "case_not_found": 404,
    "storage_unavailable": 503,
}
#: how much of the body is read at a time
_CHUNK = 64 * 1024


def _refused(request: web.Request, error: HelpwireError) -> web.Response:
    if isinstance(error, RateLimited):
        return throttle.too_many(error)
    status = STATUS.get(error.code, 400)
    headers = retry_after(request) if status == 503 else None
    return error_response(status, error.code, error.message, headers)


async def _read_bounded(request: web.Request, limit: int) -> bytes:
    """The body, or PhotoTooLarge as soon as it is known to be longer than ``limit``."""
    too_large = PhotoTooLarge(f"the photo is larger than {limit} bytes (setting photos.max_bytes)")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise too_large


@routes.post("/api/photos")
async def send_photo(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    photos = services.photos
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise InvalidToken("send Authorization: Bearer <case token>")
        case_id = services.signer.case_id(token.strip())
        if case_id not in services.engine.cases:
            return error_response(404, "case_not_found",
                                  "that case is no longer open; press Help to start a new one")
        photos.precheck(case_id)
        data = await _read_bounded(request, photos.settings.max_bytes)
        if not data:
            return error_response(400, "photo_unreadable", "the body is empty: send the image bytes")
        shared = await photos.share(case_id, data)
    except InvalidToken as error:
        return error_response(401, error.code, error.message)
    except HelpwireError as error:
        return _refused(request, error)
    return web.json_response({"photo": shared.as_payload()}, status=201,
                             headers={"Cache-Control": "no-store"})


@routes.get("/api/photos/{photo_id}")
async def fetch_photo(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    agent, refused = await _bearer_agent(request)
    if agent is None:
        assert refused is not None
        return refused
    try:
        held = services.photos.for_agent(request.match_info["photo_id"], agent.id)
    except HelpwireError as error:
        return _refused(request, error)
    return web.Response(body=held.photo.data, content_type=held.photo.media_type, headers={
        "Cache-Control": "no-store", "Content-Disposition": "inline",
        "X-Content-Type-Options": "nosniff"})
