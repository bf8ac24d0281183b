"""A trickled ICE candidate line (RFC 8839 §5.1), checked before aiortc sees it.

aiortc's `candidate_from_sdp` trusts its input: a short line fails an `assert` (gone under
`python -O`), a word where a number belongs raises from `int()`, and an out-of-range port or
priority is passed on to aioice. Every field is checked here and a bad line refused with
ValueError naming what is wrong, which the media layer answers as `media_not_allowed`.
"""

from __future__ import annotations

import ipaddress

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

TYPES = frozenset({"host", "srflx", "prflx", "relay"})
PROTOCOLS = frozenset({"udp", "tcp"})
MAX_PRIORITY = 2**32 - 1


def parse_candidate(text: str) -> RTCIceCandidate:
    """`foundation component protocol priority address port typ type [raddr a rport p] …`."""
    bits = text.split()
    if len(bits) < 8:
        raise ValueError(f"a candidate has at least 8 fields, this one {len(bits)}")
    if not 1 <= len(bits[0]) <= 32 or not bits[0].isascii() or not bits[0].isalnum():
        raise ValueError("the foundation is 1-32 letters or digits")
    _number(bits[1], "component", 1, 256)
    if bits[2].lower() not in PROTOCOLS:
        raise ValueError("the transport is udp or tcp")
    _number(bits[3], "priority", 0, MAX_PRIORITY)
    _address(bits[4])
    _number(bits[5], "port", 0, 65535)
    if bits[6] != "typ" or bits[7] not in TYPES:
        raise ValueError("the candidate type is 'typ host|srflx|prflx|relay'")
    extensions = bits[8:]
    if len(extensions) % 2:
        raise ValueError("the extensions are name value pairs")
    for name, value in zip(extensions[::2], extensions[1::2], strict=True):
        if name == "rport":
            _number(value, "rport", 0, 65535)
        elif name == "raddr":
            _address(value)
    return candidate_from_sdp(text)


def _number(text: str, name: str, low: int, high: int) -> None:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"the {name} is a whole number from {low} to {high}")


def _address(text: str) -> None:
    if text.endswith(".local") and 7 < len(text) <= 255:  # an mDNS name (browsers hide host IPs)
        return
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError("the address is an IPv4 or IPv6 address or an mDNS .local name") from None
