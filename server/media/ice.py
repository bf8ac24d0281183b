"""ICE configuration: STUN/TURN servers from settings, short-lived TURN REST credentials.

TURN credentials follow the "TURN REST API" scheme that coturn implements with `use-auth-secret`:
username = "<expiry unix time>:<id>", password = base64(HMAC-SHA1(shared secret, username)).
coturn recomputes the password from the username with the same `static-auth-secret` and refuses
the username once its expiry time has passed. See docs/media.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceServer

from ..settings.media import MediaSettings


def turn_rest_credentials(secret: str, user_id: str, ttl_seconds: int, now: float) -> tuple[str, str]:
    """(username, password) valid until now + ttl_seconds for a coturn `use-auth-secret` server."""
    username = f"{int(now) + int(ttl_seconds)}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class IceConfig:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl_seconds: int = 4 * 3600
    #: host-candidate addresses the server's peers offer; empty = aioice's choice (no loopback)
    host_addresses: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: MediaSettings) -> IceConfig:
        return cls(
            stun_urls=tuple(settings.ice_stun_urls),
            turn_urls=tuple(settings.ice_turn_urls),
            turn_secret=settings.ice_turn_secret,
            turn_ttl_seconds=settings.ice_turn_ttl_seconds,
            host_addresses=tuple(settings.host_addresses),
        )

    def for_client(self, user_id: str, now: float) -> list[dict[str, Any]]:
        """The `iceServers` a browser passes to `new RTCPeerConnection({iceServers})`."""
        servers: list[dict[str, Any]] = []
        if self.stun_urls:
            servers.append({"urls": list(self.stun_urls)})
        if self.turn_urls and self.turn_secret:
            username, password = turn_rest_credentials(
                self.turn_secret, user_id, self.turn_ttl_seconds, now
            )
            servers.append({"urls": list(self.turn_urls), "username": username,
                            "credential": password})
        return servers

    def for_server(self, now: float) -> list[RTCIceServer]:
        """The same servers for the server's own peers (never aiortc's public STUN default)."""
        return [
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in self.for_client("helpwire-server", now)
        ]
