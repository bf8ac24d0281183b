"""Who is asking: the client's address, believing X-Forwarded-For only from a trusted proxy.

A client can write any X-Forwarded-For it likes, so the header is read only when the TCP peer is
one of ``trusted_proxies``, and then from the right: the first address that is not itself a
trusted proxy is the client (each proxy appends the peer it saw).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from aiohttp import web

from ..settings.security import Network

#: the address used when the peer's address is unknown (a Unix socket, a closed transport)
UNKNOWN = "unknown"


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(remote: str | None, forwarded_for: str | None,
                   proxies: Sequence[Network]) -> str:
    """The client's address for rate limits and pseudonymised logs."""
    peer = _parse(remote) if remote else None
    if peer is None:
        return UNKNOWN
    if not forwarded_for or not _trusted(peer, proxies):
        return str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        parsed = _parse(hop)
        if parsed is None:  # a forged or garbled entry: stop at the last one we can vouch for
            break
        client = parsed
        if not _trusted(parsed, proxies):
            break
    return str(client)


def request_address(request: web.Request, proxies: Sequence[Network]) -> str:
    return client_address(request.remote, request.headers.get("X-Forwarded-For"), proxies)


def environ_address(environ: dict[str, Any], proxies: Sequence[Network]) -> str:
    """The address of a Socket.IO connect (python-engineio's aiohttp environ holds the request)."""
    request = environ.get("aiohttp.request")
    if isinstance(request, web.BaseRequest):
        return client_address(request.remote, request.headers.get("X-Forwarded-For"), proxies)
    return client_address(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"),
                          proxies)


def pseudonym(secret: str, value: str) -> str:
    """A keyed hash that lets one log line be matched with another, but not read back."""
    digest = hmac.new(secret.encode(), value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return digest.hexdigest()[:16]
