"""Draining: a node of a cluster that is about to stop moves its idle sockets off and lets its cases end.

On SIGTERM (``[cluster] redis_url`` set) the node enters *draining* before the normal shutdown:

* ``/healthz`` answers 503 ``{status: draining}``, so the load balancer and the operator see it;
* new Engine.IO handshakes are answered 503 ``node_draining`` (server/web/draining.py), which
  nginx's ``proxy_next_upstream http_503`` hands to the next node;
* every socket that no live case hosted here needs (an idle kiosk or shop page, an agent with no
  case here while no case waits here, a supervisor) is told ``server_restarting`` with reason
  ``draining`` and closed: it reconnects through the load balancer to another node. The sweep
  runs at the start and after every batch of the hub, so a socket that becomes idle later (its
  agent closed her last case) moves then;
* a Help press still reaching this node is refused with ``node_draining`` (the widget reconnects
  and presses once more);
* then the node waits until the live cases it hosts have ended, at most ``drain_seconds``.

What is still open at the end is what :meth:`Drain.hosted_cases` returns: the node then gives its
lease up (``Membership.hand_over``, called by ``python -m server serve``), and another node adopts
those cases at its next heartbeat (server/cluster/membership.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import socketio

from ..core.engine import CaseEngine
from ..core.errors import NodeDraining
from ..logs import get_logger
from ..settings.cluster import ClusterSettings
from .hub import Hub

log = get_logger("helpwire.drain")

#: what every socket moved off a draining node is told before it is closed
SERVER_RESTARTING = "server_restarting"
DRAINING_REASON = "draining"


@runtime_checkable
class DrainAware(Protocol):
    """A Socket.IO namespace that knows which of its sockets a live case on this node needs;
    the sockets of a namespace that does not say are all idle (moved at once)."""

    def needed_while_draining(self, sid: str) -> bool: ...


class Drain:
    """The draining of one node: its state (asked by /healthz, the handshake gate and the Help
    press) and the procedure run on SIGTERM before the shutdown."""

    def __init__(self, engine: CaseEngine, hub: Hub, sio: socketio.AsyncServer,
                 settings: ClusterSettings, settle_seconds: float,
                 disconnect_seconds: float) -> None:
        self._engine = engine
        self._sio = sio
        self.seconds = settings.drain_seconds
        self._retry_after_ms = settings.drain_retry_after_ms
        #: True from the start of the drain until the process exits
        self.draining = False
        #: True while the drain runs: idle sockets are moved (not during the shutdown after it)
        self._moving = False
        #: sockets closed because they were idle (the figure the drain ends with)
        self.sockets_moved = 0
        self._no_cases = asyncio.Event()
        self._sweep_again = False
        self._sweeper: asyncio.Task[None] | None = None
        #: sockets with a client event being handled now: the event that ends the last case
        #: still owes its acknowledgement when the drain ends, so the drain waits for them (at
        #: most settle_seconds), and a socket is not closed while it waits for an answer
        self._in_flight: Counter[str] = Counter()
        self._settled = asyncio.Event()
        self._settled.set()
        self._settle_seconds = settle_seconds
        #: how long closing one sweep's connections may take (network.disconnect_seconds)
        self._disconnect_seconds = disconnect_seconds
        hub.observers.append(self._after_batch)  # does nothing unless the drain runs

    # ------------------------------------------------------------------ asked while serving

    def hosted_cases(self) -> list[str]:
        """The live (not finished) cases this node hosts, sorted: what a drain waits for, and
        what is left for adoption by the other nodes when it ends before they did."""
        return sorted(case.id for case in self._engine.live_cases())

    def check_new_case(self) -> None:
        """Raise node_draining while draining: a new case belongs on a node that stays."""
        if self.draining:
            raise NodeDraining()

    @contextmanager
    def handling(self, sid: str) -> Iterator[None]:
        """Around the handling of one client event (server/signalling/base.py): its socket is
        not closed by the drain before the event is answered."""
        self._in_flight[sid] += 1
        self._settled.clear()
        try:
            yield
        finally:
            self._in_flight[sid] -= 1
            if not self._in_flight[sid]:
                del self._in_flight[sid]
                if self._moving:
                    self._sweep_soon()  # after its acknowledgement, queued as the handler returns
            if not self._in_flight:
                self._settled.set()

    # ------------------------------------------------------------------ the procedure

    async def run(self, interrupted: asyncio.Event | None = None) -> list[str]:
        """Drain: refuse what is new, move the idle sockets off, then wait until the hosted
        cases have ended, at most ``drain_seconds`` (or until ``interrupted`` is set: a second
        SIGTERM). Returns the cases still hosted at the end (left to adoption)."""
        started = time.monotonic()
        self.draining = self._moving = True
        log.info("drain_started", live_cases=len(self.hosted_cases()),
                 drain_seconds=self.seconds)
        try:
            self._sweep_soon()
            if not self.hosted_cases():
                self._no_cases.set()
            waits = [asyncio.ensure_future(self._no_cases.wait())]
            if interrupted is not None:
                waits.append(asyncio.ensure_future(interrupted.wait()))
            try:
                await asyncio.wait(waits, timeout=self.seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
            # the event that ended the last case answers before the shutdown closes its socket
            # (its acknowledgement is queued as its handler returns, before this task resumes)
            try:
                await asyncio.wait_for(self._settled.wait(), self._settle_seconds)
            except TimeoutError:
                log.warning("drain_events_unanswered", events=sum(self._in_flight.values()))
            if self._sweeper is not None:
                await self._sweeper  # the sockets of the cases that just ended move too
        finally:
            self._moving = False
            if self._sweeper is not None and not self._sweeper.done():
                self._sweeper.cancel()
        left = self.hosted_cases()
        outcome = ("cases_ended" if not left
                   else "interrupted" if interrupted is not None and interrupted.is_set()
                   else "time_limit")
        log.info("drain_ended", outcome=outcome, cases_left=len(left),
                 sockets_moved=self.sockets_moved,
                 seconds=round(time.monotonic() - started, 3))
        return left

    async def _after_batch(self, batch: list[Any]) -> None:
        """A hub observer while draining: a case may have ended, a socket become idle."""
        if not self._moving:
            return
        if not self.hosted_cases():
            self._no_cases.set()
        self._sweep_soon()

    def _sweep_soon(self) -> None:
        """One sweep at a time, in a task of its own: closing a socket runs its namespace's
        disconnect handler, which runs the hub (and this observer) again."""
        self._sweep_again = True
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweeps(), name="helpwire-drain-sweep")

    async def _sweeps(self) -> None:
        while self._sweep_again:
            self._sweep_again = False
            try:
                await self._move_idle_sockets()
            except Exception:  # a socket that went at that moment must not stop the drain
                log.exception("drain_sweep_failed")

    async def _move_idle_sockets(self) -> None:
        """Tell and close every connection none of whose Socket.IO sockets a live case here
        needs. The Engine.IO connection is closed (as at shutdown), not the namespace: clients
        take a closed transport for a lost line and reconnect by themselves, with the delay
        they were just told; a namespace closed by the server is not retried by socket.io."""
        manager = self._sio.manager
        connections: dict[str, list[tuple[str, str]]] = {}  # Engine.IO sid → its sockets
        for namespace in list(manager.get_namespaces()):
            for sid, eio_sid in list(manager.get_participants(namespace, None)):
                connections.setdefault(eio_sid, []).append((namespace, sid))
        idle = {eio_sid: sockets for eio_sid, sockets in connections.items()
                if not any(self._needed(namespace, sid) for namespace, sid in sockets)}
        if not idle:
            return
        notice = {"reason": DRAINING_REASON, "retry_after_ms": self._retry_after_ms}
        for sockets in idle.values():
            for namespace, sid in sockets:
                await self._sio.emit(SERVER_RESTARTING, notice, to=sid, namespace=namespace)
        # the notice is queued ahead of Engine.IO's close packet on each connection
        engine = self._sio.eio
        closing = [asyncio.ensure_future(connection.close(
                       wait=False, reason=engine.reason.SERVER_DISCONNECT))
                   for eio_sid in idle
                   if (connection := engine.sockets.get(eio_sid)) is not None
                   and not connection.closed]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=self._disconnect_seconds)
            if pending:  # a client that left at this very moment: not waited for
                log.warning("drain_disconnect_timeout", sockets=len(pending))
        moved = sum(len(sockets) for sockets in idle.values())
        self.sockets_moved += moved
        log.info("drain_sockets_closed", sockets=moved, live_cases=len(self.hosted_cases()))

    def _needed(self, namespace: str, sid: str) -> bool:
        if sid in self._in_flight:
            return True  # for now: swept again once its event is answered
        handler = self._sio.namespace_handlers.get(namespace)
        return isinstance(handler, DrainAware) and handler.needed_while_draining(sid)
