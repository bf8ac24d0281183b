"""Closing the sockets of silent clients, promptly and cheaply: Engine.IO's client monitor, redone.

python-engineio sends the pings (every `ping_interval_seconds`) and records when each went out;
its own monitor then visits one socket at a time, sleeping `ping_timeout / sockets` between them
with a `wait_for` each, so a silent socket is noticed up to a whole timeout late and 10,000 idle
kiosks cost 4,000 timer tasks a second at a 2.5-s timeout. This monitor (the server is built with
`monitor_clients=False`) sweeps every socket in one loop every `tick_seconds`, with no await
unless a socket is overdue: a silent client is closed within interval + timeout + one tick.

It relies on three attributes of python-engineio 4.x sockets (`last_ping`, `closing`, `closed`)
and on `check_ping_timeout()`, which closes an overdue socket exactly as Engine.IO would (reason
`ping timeout`, a CLOSE packet, the disconnect handlers run).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from ..logs import get_logger

log = get_logger("helpwire.heartbeat")


def overdue(sockets: dict[str, Any], now: float, timeout: float) -> list[Any]:
    """The open sockets whose last ping has waited for its pong longer than `timeout`."""
    return [s for s in sockets.values()
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
        while True:
            await asyncio.sleep(self.every_seconds)
            try:
                await self.sweep(time.time())
            except Exception:
                log.exception("heartbeat_sweep_failed")

    async def sweep(self, now: float) -> int:
        """Close every overdue socket and forget closed ones; returns how many were closed."""
        sockets: dict[str, Any] = self.eio.sockets
        for sid in [sid for sid, s in sockets.items() if s.closed]:
            sockets.pop(sid, None)
        silent = overdue(sockets, now, self.eio.ping_timeout)
        for socket in silent:
            with contextlib.suppress(Exception):  # closed meanwhile by its own handler
                await socket.check_ping_timeout()
        if silent:
            log.info("sockets_silent", closed=len(silent))
        return len(silent)
