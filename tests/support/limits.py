"""Rate limits for tests whose clients all come from 127.0.0.1.

Every test client shares one loopback address, so the per-address limits meant for the internet
would make unrelated tests (hundreds of cases, many sockets) refuse each other. Tests of the
limits themselves pass their own ``security`` settings and present addresses via a trusted proxy.
"""

from __future__ import annotations

from typing import Any

_MANY = {"burst": 1_000_000, "per_seconds": 1}

#: the ``security`` section for loopback tests: every per-address and per-socket rate lifted
LOOPBACK_SECURITY: dict[str, Any] = {
    "help_per_address": _MANY,
    "help_per_kiosk": _MANY,
    "max_sockets_per_address": 1_000_000,
    "chat_per_socket": _MANY,
    "typing_per_socket": _MANY,
    "ingest_per_key": _MANY,
    "login_per_address": _MANY,
}
