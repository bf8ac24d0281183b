"""Which browser origins may talk to this server: its own, always, and the listed shop domains.

One rule for Socket.IO (handed to Engine.IO as a callable) and for the widget's HTTP endpoints
(server/web/cors.py). Engine.IO allows the server's own origin only while no list is given; a
list replaces that default, which locked the server out of its own pages (agent console,
supervisor, demo shop) the moment an operator listed a shop. Here the own origin is always
allowed, computed as Engine.IO does: the request's scheme and `Host`, and the same with
`X-Forwarded-Proto`/`X-Forwarded-Host` when a reverse proxy passes them (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: the setting an operator changes to allow a shop's origin (named in the widget's diagnostic)
SETTING = "network.cors_allowed_origins"


def _first(value: str) -> str:
    return value.split(",")[0].strip()


def own_origins(scheme: str, host: str | None, forwarded_proto: str | None = None,
                forwarded_host: str | None = None) -> frozenset[str]:
    """The origins a page served by this server has, directly or through a reverse proxy."""
    if not host:
        return frozenset()
    origins = {f"{scheme}://{host}"}
    if forwarded_proto or forwarded_host:
        origins.add(f"{_first(forwarded_proto or scheme)}://{_first(forwarded_host or host)}")
    return frozenset(origins)


class OriginPolicy:
    """The server's own origin plus ``listed`` (``"*"`` allows every origin)."""

    def __init__(self, listed: Iterable[str]) -> None:
        self.listed = frozenset(origin.rstrip("/") for origin in listed)
        self.any = "*" in self.listed

    def allows(self, origin: str | None, own: frozenset[str]) -> bool:
        """True for no ``Origin`` (not a cross-origin browser request), the own origin, a listed one."""
        if not origin:
            return True
        return self.any or origin in own or origin in self.listed

    def allows_environ(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        """Engine.IO's callable form: the WSGI-style environ it builds from the aiohttp request."""
        request = environ.get("aiohttp.request")  # its scheme knows TLS; wsgi.url_scheme does not
        scheme = str(request.scheme if request is not None else environ.get("wsgi.url_scheme", "http"))
        own = own_origins(scheme, environ.get("HTTP_HOST"), environ.get("HTTP_X_FORWARDED_PROTO"),
                          environ.get("HTTP_X_FORWARDED_HOST"))
        return self.allows(origin, own)


def refusal_message(origin: str) -> str:
    """What the shop owner reads in the browser console (and the status diagnostic carries)."""
    return (f"this page's origin {origin} may not use this Helpwire server: add it to the "
            f"server's {SETTING} setting (docs/widget.md, 'Embedding on your shop's domain')")
