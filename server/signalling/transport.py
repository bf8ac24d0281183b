"""Engine.IO's aiohttp websocket, closed without leaving reference cycles behind.

Engine.IO's driver ends every websocket by raising `OSError()` from `wait()` when the close frame
arrives. The exception is stored in the reading task; its traceback holds the frames of Engine.IO's
websocket handler, and those frames hold the task again: a reference cycle that keeps the whole
closed connection (about 65 objects and 20 KB: the aiohttp request, protocol and websocket
response, both tasks, their queues) alive until a full collection. When the periodic heap freeze
(server/runtime/tuning.py) has moved the connection into the permanent generation, that is not
until the next thaw, so connection churn grew the process by about 20 KB for every connection that
had lived through a freeze (19.7 MiB per 1,000 in bench/signalling_churn.py).

Returning None instead is the end-of-stream value the handler already understands ("connection
closed by client"): no exception, no cycle, and reference counting frees a closed connection at
once, frozen or not (tests/integration/test_connection_cleanup.py; docs/performance.md,
"Connection churn").
"""

from __future__ import annotations

import asyncio
from typing import Any


def closing_without_cycles(base: type[Any]) -> type[Any]:
    """A subclass of Engine.IO's websocket driver class whose `wait()` ends with None, not OSError."""

    class CycleFreeWebSocket(base):  # type: ignore[misc]
        async def wait(self) -> Any:
            message = await self._sock.receive()
            data = message.data
            if isinstance(data, str | bytes):
                return data
            return None  # closed, closing or failed: the handler ends the connection

    CycleFreeWebSocket.__qualname__ = f"closing_without_cycles.<{base.__qualname__}>"
    return CycleFreeWebSocket


class PingReaper:
    """Cancels a closed websocket's pending Engine.IO ping, so the connection is freed at once.

    Engine.IO schedules each ping as a background task that sleeps `ping_interval` (25 s) holding
    its socket, and only then sees that the socket closed: every closed connection stayed about
    5.5 KB (the socket, its queue, the task) for up to 25 s, a working set of rate × 25 s under
    churn (27 MB at 200 connections a second). This follows the ping tasks the server starts and
    cancels the one of a socket whose websocket has ended.
    """

    def __init__(self, engineio_server: Any) -> None:
        self._pending: dict[int, asyncio.Task[Any]] = {}
        start = engineio_server.start_background_task

        def start_background_task(target: Any, *args: Any, **kwargs: Any) -> Any:
            task = start(target, *args, **kwargs)
            owner = getattr(target, "__self__", None)
            if owner is not None and getattr(target, "__name__", "") == "_send_ping":
                key = id(owner)
                self._pending[key] = task
                task.add_done_callback(lambda done: self._forget(key, done))
            return task

        engineio_server.start_background_task = start_background_task

    def _forget(self, key: int, task: asyncio.Task[Any]) -> None:
        if self._pending.get(key) is task:
            del self._pending[key]

    def closed(self, handler: Any) -> None:
        """The websocket of `handler` (Engine.IO's bound `_websocket_handler`) has ended."""
        socket = getattr(handler, "__self__", None)
        if socket is None or not socket.closed:
            return  # an upgrade that failed: the polling connection lives on
        task = self._pending.pop(id(socket), None)
        if task is not None:
            task.cancel()

    @property
    def pending(self) -> int:
        """How many ping tasks are waiting (for tests and the churn benchmark)."""
        return len(self._pending)
