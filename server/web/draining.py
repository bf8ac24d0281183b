"""While this node drains, new Engine.IO handshakes are answered 503 ``node_draining``.

A handshake is a request to ``/socket.io/`` without a ``sid`` (a new connection, websocket or
polling); requests of an existing session carry their ``sid`` and go on. nginx's
``proxy_next_upstream ... http_503`` sends a refused handshake to the next node, so a client
behind the load balancer never sees it; one connected to the node directly is told why.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from .errors import error_response
from .keys import SERVICES

#: where Engine.IO listens (python-socketio's default path, attached by server/app.py)
ENGINEIO_PATH = "/socket.io/"


@web.middleware
async def refuse_new_connections(request: web.Request, handler: Handler) -> web.StreamResponse:
    services = request.app.get(SERVICES)
    if (services is not None and services.drain.draining
            and request.path == ENGINEIO_PATH and "sid" not in request.query):
        return error_response(
            503, "node_draining",
            "this server is about to stop and takes no new connections; connect again (another"
            " server will answer)",
            headers={"Retry-After": "1"})
    return await handler(request)
