"""Each socket pinged as often as its liveness matters: the short interval while someone waits on
it, the long one while it idles.

A 5-s heartbeat is what lets a frozen customer be noticed in seconds, but pinging 3,000 idle
kiosks that often cost a durable chat line at 1,000 messages a second 12–19 ms of p99 (the ping
round trips compete with the chat for the loop; docs/performance.md, "Durable chat"). Only some
sockets need it: a customer or kiosk with an open case (someone is waiting, or an agent is
talking to them) and every agent console. The others are pinged every
`idle_ping_interval_seconds`, which is also what the handshake announces, so no client ever
gives up on the server early (Engine.IO clients wait pingInterval + pingTimeout for the next
ping; an earlier one only restarts that wait).

The namespace handlers say which sockets matter (`watch`, with a predicate that says when it no
longer does, read at each ping so a finished case needs no call); a socket watched in the middle
of a long wait has that wait cut short, as if it had been on the short interval all along.
Engine.IO's own ping task is replaced through `engineio_compat.route_pings`; each pending ping
is cancelled as soon as its websocket ends, so a closed connection is freed at once instead of
staying about 5.5 KB (socket, queue, task) until its ping would have been due (27 MB at 200
connections a second under churn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import engineio_compat

#: a reason a socket is on the short interval: True while it still is
Wanted = Callable[[], bool]


@dataclass
class _Pending:
    socket: Any
    task: asyncio.Task[Any]
    #: when the wait began (loop time: the pong that answered the previous ping, or the handshake)
    started: float
    #: when the ping is due
    due: float


class PingSchedule:
    def __init__(self, engineio_server: Any, interval_seconds: float,
                 idle_interval_seconds: float) -> None:
        if idle_interval_seconds < interval_seconds:
            raise ValueError("the idle ping interval cannot be shorter than the ping interval")
        self.interval = float(interval_seconds)
        self.idle_interval = float(idle_interval_seconds)
        self._start = engineio_server.start_background_task
        #: Engine.IO socket id → its pending ping
        self._pending: dict[str, _Pending] = {}
        #: Engine.IO socket id → (key → still wanted?): why a socket is on the short interval
        self._reasons: dict[str, dict[Any, Wanted]] = {}
        #: key → the Engine.IO socket id it was given for
        self._socket_of: dict[Any, str] = {}
        engineio_compat.route_pings(engineio_server, self._schedule)

    # ------------------------------------------------------------------ what matters

    def watch(self, eio_sid: str, key: Any, wanted: Wanted) -> None:
        """Ping `eio_sid` at the short interval while `wanted()` says so (under `key`, e.g. a
        Socket.IO sid; watching the same key again replaces its predicate)."""
        previous = self._socket_of.get(key)
        if previous is not None and previous != eio_sid:
            self.release(key)
        self._socket_of[key] = eio_sid
        self._reasons.setdefault(eio_sid, {})[key] = wanted
        self._hurry(eio_sid)

    def release(self, key: Any) -> None:
        """`key` no longer needs its socket pinged often (its next wait uses what is left)."""
        eio_sid = self._socket_of.pop(key, None)
        if eio_sid is None:
            return
        reasons = self._reasons.get(eio_sid)
        if reasons is not None:
            reasons.pop(key, None)
            if not reasons:
                del self._reasons[eio_sid]

    def interval_of(self, eio_sid: str) -> float:
        """The wait before this socket's next ping; reasons that lapsed are forgotten here."""
        reasons = self._reasons.get(eio_sid)
        if reasons:
            for key in [key for key, wanted in reasons.items() if not wanted()]:
                self.release(key)
            if eio_sid in self._reasons:
                return self.interval
        return self.idle_interval

    # ------------------------------------------------------------------ the ping tasks

    def _schedule(self, socket: Any) -> asyncio.Task[Any]:
        """Engine.IO asks for the next ping of `socket` (after the handshake, after each pong)."""
        return self._arm(socket, asyncio.get_running_loop().time(), self.interval_of(socket.sid))

    def _arm(self, socket: Any, started: float, delay: float) -> asyncio.Task[Any]:
        loop = asyncio.get_running_loop()
        due = started + delay
        task: asyncio.Task[Any] = self._start(self._ping, socket, max(0.0, due - loop.time()))
        pending = _Pending(socket, task, started, due)
        self._pending[socket.sid] = pending
        task.add_done_callback(lambda done: self._forget(socket.sid, pending))
        return task

    async def _ping(self, socket: Any, delay: float) -> None:
        await asyncio.sleep(delay)
        await engineio_compat.send_ping(socket)

    def _hurry(self, eio_sid: str) -> None:
        """Cut a long wait short: the ping comes one short interval after the last pong (or now,
        if that is already past)."""
        pending = self._pending.get(eio_sid)
        if pending is None or pending.task.done():
            return  # a ping is out: the pong schedules the next one, on the short interval
        if pending.due <= pending.started + self.interval:
            return
        pending.task.cancel()
        self._arm(pending.socket, pending.started, self.interval)

    def _forget(self, eio_sid: str, pending: _Pending) -> None:
        if self._pending.get(eio_sid) is pending:
            del self._pending[eio_sid]

    def closed(self, handler: Any) -> None:
        """The websocket of `handler` (Engine.IO's bound `_websocket_handler`) has ended."""
        socket = engineio_compat.socket_of_handler(handler)
        if socket is None or not socket.closed:
            return  # an upgrade that failed: the polling connection lives on
        pending = self._pending.pop(socket.sid, None)
        if pending is not None:
            pending.task.cancel()
        for key in list(self._reasons.get(socket.sid, {})):
            self.release(key)

    @property
    def pending(self) -> int:
        """How many pings are waiting (for tests and the churn benchmark)."""
        return len(self._pending)

    @property
    def watched(self) -> int:
        """How many sockets have a reason to be pinged often (for tests)."""
        return len(self._reasons)
