"""Every HTTP error is `{error: {code, message}}` with a stable code: never an HTML page or plain text.

The database may hold an HTTP request for at most ``http_database_timeout_seconds``: past it the
caller gets ``503 storage_timeout`` at once instead of a hanging request, and a database that
cannot be reached (refused, closed, failing) answers ``503 storage_unavailable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import exc as sa_exc

from ..logs import get_logger
from ..store.database import DatabaseClosed
from .keys import SETTINGS

log = get_logger("helpwire.http")

#: Engine.IO answers its own transport errors, and a websocket request lasts the whole connection
ENGINE_IO_PATH = "/socket.io/"
#: the health check bounds its own database ping and says "unavailable" in its own words; a
#: photo upload lasts as long as the customer's network needs (its writes are bounded by the
#: persister's own timeouts)
UNBOUNDED_PATHS = frozenset({"/healthz", "/api/photos"})

_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "service_unavailable",
}
_HTTP_MESSAGES = {
    404: "there is nothing at this address; see docs/protocol.md for the endpoints",
    405: "this address does not take that method; see docs/protocol.md",
}
#: headers of an aiohttp HTTPException worth keeping on the JSON answer (e.g. Allow on a 405)
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Location")


def retry_after(request: web.Request) -> dict[str, str]:
    """The Retry-After header of a 503 because of the database (``storage.retry_after_seconds``)."""
    return {"Retry-After": str(request.app[SETTINGS].storage.retry_after_seconds)}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


def storage_fault(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be used now (not a fault in the request)."""
    if getattr(error, "code", None) == "storage_unavailable":  # the persister's StorageUnavailable
        return True
    if isinstance(error, (DatabaseClosed, ConnectionError, sa_exc.DisconnectionError,
                          sa_exc.TimeoutError, sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    # asyncpg raises OSError itself when PostgreSQL's port does not answer (not wrapped by SQLAlchemy)
    return isinstance(error, OSError) and error.errno is not None


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith(ENGINE_IO_PATH):
        engine_io: web.StreamResponse = await handler(request)
        return engine_io
    limit = (None if request.path in UNBOUNDED_PATHS
             else request.app[SETTINGS].storage.http_database_timeout_seconds)
    try:
        response = await _within(limit, handler(request))
        if isinstance(response, web.FileResponse) and not await _is_file(response):
            raise web.HTTPNotFound()  # a static file that is not there (found only when sent)
        return response
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = _HTTP_MESSAGES.get(exc.status) or exc.text or exc.reason
        if exc.status == 413:
            most = request.app[SETTINGS].network.max_request_bytes
            message = (f"the request body is too large; the limit is {most} bytes"
                       " (setting network.max_request_bytes)")
        if message.startswith(f"{exc.status}:"):  # aiohttp's own "404: Not Found"
            message = exc.reason
        headers = {name: exc.headers[name] for name in _KEPT_HEADERS if name in exc.headers}
        return error_response(exc.status, code, message, headers)
    except TimeoutError:
        log.error("http_storage_timeout", path=request.path, limit_seconds=limit)
        return error_response(
            503, "storage_timeout",
            f"the database did not answer within {limit:g} s; try again in a moment",
            retry_after(request),
        )
    except Exception as error:
        if storage_fault(error):
            # the exception's text may quote the values written: only its type is logged
            log.error("http_storage_unavailable", path=request.path, error=type(error).__name__)
            return error_response(
                503, "storage_unavailable",
                "the database cannot be reached right now; try again in a moment",
                retry_after(request),
            )
        log.exception("http_handler_failed", path=request.path)
        return error_response(500, "internal_error",
                              "the server could not handle this request; it has been logged, "
                              "try again")


#: handlers that outlived their time limit, finishing their cancellation in the background
_abandoned: set[asyncio.Future[web.StreamResponse]] = set()


async def _within(limit: float | None, work: Awaitable[web.StreamResponse]) -> web.StreamResponse:
    """The handler's response, or TimeoutError after ``limit`` seconds.

    The caller is answered at the limit even when cancelling the handler takes longer: a driver
    whose server hangs may wait on its own cancel request (asyncpg does), so the cancelled handler
    finishes in the background.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=limit)
    except asyncio.CancelledError:  # the client went away: so does the handler
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)
    raise TimeoutError


def _forget(task: asyncio.Future[web.StreamResponse]) -> None:
    _abandoned.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("http_handler_failed_after_timeout", error=type(task.exception()).__name__)


async def _is_file(response: web.FileResponse) -> bool:
    path = getattr(response, "_path", None)
    return path is None or await asyncio.to_thread(Path(path).is_file)
