"""The settings section of listening and sockets (``[network]``, docs/operations.md).

Where the server listens, which other origins may connect, how sockets are kept alive and how
large a request or frame may be, and what clients are told at a graceful shutdown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class NetworkSettings(BaseModel):
    """What the HTTP server, Engine.IO and the shutdown sequence are built with (server/app.py)."""

    model_config = {"extra": "forbid"}

    #: the address to listen on (behind nginx: loopback; docs/operations.md "Deploying")
    host: str = "127.0.0.1"
    #: the port to listen on (`serve --port` and $PORT override it); 0 = any free port
    port: int = Field(8080, ge=0, le=65535)
    #: extra origins allowed to open Socket.IO connections and call the widget's HTTP endpoints (the
    #: widget embedded on a shop domain); the server's own origin is always allowed (web/origins.py)
    cors_allowed_origins: list[str] = Field(default_factory=list)
    #: Engine.IO heartbeat: the server pings every socket whose liveness matters this often (a
    #: customer or kiosk with an open case, every agent console); with ping_timeout_seconds it
    #: bounds how long such a silent socket (frozen process, network gone without a FIN) goes
    #: unnoticed: at most interval + timeout + one dispatch.tick_seconds (whole seconds)
    ping_interval_seconds: int = Field(5, ge=1)
    #: how often an idle socket (a kiosk or widget with no open case) is pinged; the handshake
    #: announces this one, the longest, so clients never give up on the server early. At least
    #: ping_interval_seconds; pressing Help moves the socket to the short interval at once
    idle_ping_interval_seconds: int = Field(25, ge=1)
    #: how long the server waits for a client's pong before it closes the socket as gone
    ping_timeout_seconds: float = Field(3.0, gt=0)
    #: largest HTTP request body, in bytes; one byte more is refused with 413 (aiohttp's
    #: client_max_size). Photos have their own limit (photos.max_bytes) on their own endpoint
    max_request_bytes: int = Field(64 * 1024, ge=1024)
    #: frames larger than this are refused by the transport itself (connection closed)
    max_transport_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    #: how long a shop page's browser may reuse the answer to a CORS preflight of the widget's
    #: endpoints (Access-Control-Max-Age); browsers cap it themselves (Chromium at 7200)
    preflight_max_age_seconds: int = Field(600, ge=0, le=86_400)
    #: `server_restarting.retry_after_ms`: how long clients wait before reconnecting after a
    #: graceful shutdown; they add a random 0–100 % of it as jitter so they do not return at once
    restart_retry_after_ms: int = Field(1500, ge=0, le=60_000)
    #: how long a graceful shutdown waits for `server_restarting` to be written to every socket
    #: before it closes them
    restart_notice_seconds: float = Field(0.5, ge=0, le=10)
    #: then how long it waits for Engine.IO to close every socket (a client that left at that
    #: very moment must not hold shutdown up)
    disconnect_seconds: float = Field(1.0, gt=0, le=30)
    #: then how long it waits for open HTTP requests before it cancels them
    shutdown_seconds: float = Field(5.0, gt=0, le=120)

    @model_validator(mode="after")
    def _idle_not_shorter(self) -> NetworkSettings:
        if self.idle_ping_interval_seconds < self.ping_interval_seconds:
            raise ValueError("idle_ping_interval_seconds must be at least ping_interval_seconds"
                             " (the handshake announces the longer one)")
        return self
