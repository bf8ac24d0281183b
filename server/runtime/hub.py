"""The hub carries out what the engine decided: emits to the right sockets, hands rows to the persister.

It also owns the clock-driven loop that lets the engine apply its timers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import socketio

from ..core.effects import (
    Effect,
    ForgetCase,
    KeepTranscript,
    QueueWebhook,
    SaveCallback,
    SaveCase,
    ToAgent,
    ToAllAgents,
    ToCustomer,
)
from ..core.engine import CaseEngine
from ..logs import get_logger
from .persister import Persister

log = get_logger("helpwire.hub")

CUSTOMER_NS = "/customer"
KIOSK_NS = "/kiosk"
AGENT_NS = "/agent"
AGENTS_ROOM = "agents"


def case_room(case_id: str) -> str:
    return f"case:{case_id}"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


class Hub:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        engine: CaseEngine,
        persister: Persister,
        tick_seconds: float,
        housekeeping_seconds: float = 30.0,
        finished_case_memory_seconds: float = 3600.0,
    ) -> None:
        self.sio = sio
        self.engine = engine
        self.persister = persister
        self._tick_seconds = tick_seconds
        self._housekeeping_seconds = housekeeping_seconds
        self._finished_case_memory_seconds = finished_case_memory_seconds
        self._ticker: asyncio.Task[None] | None = None
        #: called with each batch of effects after it was carried out (the media layer follows cases)
        self.observers: list[Callable[[list[Effect]], Awaitable[None]]] = []

    def customer_namespace(self, case_id: str) -> str:
        case = self.engine.cases.get(case_id)
        return KIOSK_NS if case is not None and case.channel == "kiosk" else CUSTOMER_NS

    async def run(self, effects: Iterable[Effect]) -> None:
        batch = list(effects)
        for effect in batch:
            await self._apply(effect)
        for observer in self.observers:
            await observer(batch)

    async def _apply(self, effect: Effect) -> None:
        if isinstance(effect, ToCustomer):
            await self.sio.emit(
                effect.event, effect.payload, room=case_room(effect.case_id),
                namespace=self.customer_namespace(effect.case_id),
            )
        elif isinstance(effect, ToAgent):
            await self.sio.emit(
                effect.event, effect.payload, room=agent_room(effect.agent_id), namespace=AGENT_NS
            )
        elif isinstance(effect, ToAllAgents):
            await self.sio.emit(effect.event, effect.payload, room=AGENTS_ROOM, namespace=AGENT_NS)
        elif isinstance(effect, (SaveCase, SaveCallback, KeepTranscript, QueueWebhook)):
            self.persister.submit(effect)
        elif isinstance(effect, ForgetCase):
            log.info("case_finished", case_id=effect.case_id)

    # ------------------------------------------------------------------ timers

    def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_loop(), name="helpwire-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_housekeeping = loop.time() + self._housekeeping_seconds
        while True:
            await asyncio.sleep(self._tick_seconds)
            try:
                await self.run(self.engine.tick())
                if loop.time() >= next_housekeeping:
                    next_housekeeping = loop.time() + self._housekeeping_seconds
                    await self.housekeeping()
            except Exception:
                log.exception("tick_failed")

    async def housekeeping(self) -> None:
        now = self.engine.clock.now()
        dropped = await self.persister.cases.purge_expired_carts(now)
        if dropped:
            log.info("cart_snapshots_dropped", count=dropped)
        self.engine.forget_finished(older_than=now - self._finished_case_memory_seconds)
