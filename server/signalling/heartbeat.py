"""Closing the sockets of silent clients, promptly and cheaply: Engine.IO's client monitor, redone.

python-engineio sends the pings (every `ping_interval_seconds`) and records when each went out;
its own monitor then visits one socket at a time, sleeping `ping_timeout / sockets` between them
with a `wait_for` each, so a silent socket is noticed up to a whole timeout late and 10,000 idle
kiosks cost 4,000 timer tasks a second at a 2.5-s timeout. This monitor (the server is built with
`monitor_clients=False`) sweeps every socket in one loop every `tick_seconds`, with no await
unless a socket is overdue: a silent client is closed within interval + timeout + one tick.

Time the server itself was not listening does not count against a client: a sweep that wakes late
(the event loop stalled) adds its lateness to the timeout, and the overdue sockets are looked at
again after one pass of the loop, so pongs that waited in the kernel during a stall are read
before anyone is closed. Without that, one stall could close thousands of healthy kiosks, whose
disconnects would stall the loop again.

It relies on three attributes of python-engineio 4.x sockets (`last_ping`, `closing`, `closed`)
and on `check_ping_timeout()`, which closes an overdue socket exactly as Engine.IO would (reason
`ping timeout`, the disconnect handlers run); `engineio_compat.hang_up()` then ends its transport
at once (Engine.IO itself would keep the websocket open for ping interval + timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from ..logs import get_logger
from . import engineio_compat

log = get_logger("helpwire.heartbeat")


def overdue(sockets: Iterable[Any], now: float, timeout: float) -> list[Any]:
    """The open sockets whose last ping has waited for its pong longer than `timeout`."""
    return [s for s in sockets
            if s.last_ping and now - s.last_ping > timeout and not s.closing and not s.closed]


class HeartbeatMonitor:
    def __init__(self, eio: Any, every_seconds: float) -> None:
        self.eio = eio
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="helpwire-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.every_seconds
            await asyncio.sleep(self.every_seconds)
            try:
                await self.sweep(lateness=max(0.0, loop.time() - due))
            except Exception:
                log.exception("heartbeat_sweep_failed")

    async def sweep(self, lateness: float = 0.0) -> int:
        """Close every overdue socket and forget closed ones; returns how many were closed.

        `lateness`: how long after its time this sweep runs, i.e. how long the loop stalled."""
        sockets: dict[str, Any] = self.eio.sockets
        for sid in [sid for sid, s in sockets.items() if s.closed]:
            sockets.pop(sid, None)
        timeout = self.eio.ping_timeout + lateness
        candidates = overdue(sockets.values(), time.time(), timeout)
        if not candidates:
            return 0
        await asyncio.sleep(0)  # let pongs already received be handled first
        silent = overdue(candidates, time.time(), timeout)
        for socket in silent:
            # closes it as Engine.IO would; it re-checks, so a pong that came meanwhile saves it
            with contextlib.suppress(Exception):
                if not await socket.check_ping_timeout():
                    engineio_compat.hang_up(socket)  # and its transport goes now, not in 28 s
        if silent:
            log.info("sockets_silent", closed=len(silent), lateness_ms=round(lateness * 1000))
        return len(silent)
