"""The python-engineio internals Helpwire relies on, checked in one place when the app is built.

Four adapters reach below python-engineio's public API, each for a measured reason:
`heartbeat.py` (a socket's `last_ping`, `closing`, `closed` and `check_ping_timeout()`; its
`queue`, through `hang_up()` here),
`transport.py` (the aiohttp websocket driver class and its `_sock`), `pings.py` (each socket's
ping task, through `route_pings()` and `send_ping()` here) and `app.py` (the server's transport
hooks, `eio._async`). ``check()`` fails start-up
with a clear message when an upgrade changed any of them, instead of silently losing liveness or
leaking memory. pyproject.toml pins python-engineio to the 4.x line these were read from.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from engineio import packet
from engineio.async_socket import AsyncSocket
from engineio.base_socket import BaseSocket

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
    if "start_background_task(self._send_ping)" not in inspect.getsource(AsyncSocket.schedule_ping):
        problems.append("AsyncSocket.schedule_ping() no longer starts _send_ping as a background task")
    if callable(getattr(AsyncSocket, "_send_ping", None)):
        sending = inspect.getsource(AsyncSocket._send_ping)
        for step in ("asyncio.sleep(self.server.ping_interval)", "self.last_ping = time.time()",
                     "packet.Packet(packet.PING)"):
            if step not in sending:
                problems.append(f"AsyncSocket._send_ping() no longer does {step}")
    if "self.queue = self.server.create_queue()" not in inspect.getsource(BaseSocket.__init__):
        problems.append("BaseSocket no longer keeps its outgoing packets in self.queue")
    if "packets == [None]" not in inspect.getsource(AsyncSocket.poll):
        problems.append("AsyncSocket.poll() no longer ends the transport on a queued None")
    if not callable(getattr(eio, "start_background_task", None)):
        problems.append("AsyncServer.start_background_task() is gone")
    if problems:
        raise IncompatibleEngineIO(
            "python-engineio changed under Helpwire: " + "; ".join(problems)
            + ". Update server/signalling/engineio_compat.py and the adapters it names"
        )


def route_pings(eio: Any, start_ping: Callable[[AsyncSocket], Any]) -> None:
    """Have `start_ping(socket)` run wherever this server would start `socket._send_ping()`.

    `AsyncSocket.schedule_ping()` (after the handshake and after every pong) starts `_send_ping`
    through the server's `start_background_task`; it sleeps the server-wide `ping_interval`
    and then does what `send_ping()` does. Routing it here lets each socket wait its own time.
    Only this server instance is changed (the attribute is set on it, not on the class)."""
    start = eio.start_background_task

    def start_background_task(target: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(target, "__self__", None)
        if isinstance(owner, AsyncSocket) and getattr(target, "__name__", "") == "_send_ping":
            return start_ping(owner)
        return start(target, *args, **kwargs)

    eio.start_background_task = start_background_task


async def send_ping(socket: AsyncSocket) -> None:
    """The end of Engine.IO's `_send_ping`: note when the ping left (the heartbeat's clock) and
    send it, unless the socket is closing."""
    if not socket.closing and not socket.closed:
        socket.last_ping = time.time()
        await socket.send(packet.Packet(packet.PING))


def socket_of_handler(handler: Any) -> AsyncSocket | None:
    """The socket of a bound `AsyncSocket._websocket_handler` (what the websocket driver gets)."""
    owner = getattr(handler, "__self__", None)
    return owner if isinstance(owner, AsyncSocket) else None


def hang_up(socket: Any) -> None:
    """Let go of the transport of a socket the heartbeat has just closed as silent, now.

    Engine.IO's `close()` would send a CLOSE packet, but its `send()` checks the ping timeout
    again and drops it for an overdue socket, so the websocket's writer ends only when its queue
    has been empty for `ping_interval + ping_timeout` (28 s with the idle interval the server
    announces); until then a thawed device finds its dead socket open and does not reconnect.
    A None is what Engine.IO itself queues to stop the writer, which then closes the websocket
    (a pending long-poll GET gets an empty answer). No CLOSE packet: clients take that as a
    deliberate server disconnect and do not reconnect, while a closed transport makes them
    reconnect and resume, as they did when the writer timed out."""
    socket.queue.put_nowait(None)
