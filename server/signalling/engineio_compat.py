"""The python-engineio internals Helpwire relies on, checked in one place when the app is built.

Three adapters reach below python-engineio's public API, each for a measured reason:
`heartbeat.py` (a socket's `last_ping`, `closing`, `closed` and `check_ping_timeout()`),
`transport.py` (the aiohttp websocket driver class and its `_sock`; the ping task's
`_send_ping`) and `app.py` (the server's transport hooks, `eio._async`). ``check()`` fails start-up
with a clear message when an upgrade changed any of them, instead of silently losing liveness or
leaking memory. pyproject.toml pins python-engineio to the 4.x line these were read from.
"""

from __future__ import annotations

import inspect
from typing import Any

from engineio.async_socket import AsyncSocket

from ..core.errors import HelpwireError


class IncompatibleEngineIO(HelpwireError):
    code = "incompatible_engineio"


def check(eio: Any) -> None:
    """Fail loudly if the internals the adapters use are not what they expect."""
    problems: list[str] = []
    hooks = getattr(eio, "_async", None)
    if not isinstance(hooks, dict) or "websocket" not in hooks:
        problems.append("AsyncServer._async['websocket'] (the websocket driver class) is gone")
    for name in ("check_ping_timeout", "_send_ping", "schedule_ping", "_websocket_handler"):
        if not callable(getattr(AsyncSocket, name, None)):
            problems.append(f"AsyncSocket.{name}() is gone")
    source = inspect.getsource(AsyncSocket.__init__)
    for attribute in ("last_ping", "closing", "closed"):
        if f"self.{attribute}" not in source:
            problems.append(f"AsyncSocket no longer sets self.{attribute}")
    if "_send_ping" not in inspect.getsource(AsyncSocket.schedule_ping):
        problems.append("AsyncSocket.schedule_ping() no longer starts _send_ping")
    if problems:
        raise IncompatibleEngineIO(
            "python-engineio changed under Helpwire: " + "; ".join(problems)
            + ". Update server/signalling/engineio_compat.py and the adapters it names"
        )
