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
