"""The hub carries out what the engine decided: rows to the persister first, then the messages.

Nothing is said before what it announces is committed (``run`` waits for the persister to commit
the batch's writes, then emits), so an acknowledgement sent after ``run`` returns is a promise the
store keeps. The one exception is the conversation itself (``SENT_BEFORE_COMMIT``: chat lines,
typing, receipts), which goes to the other side at once; its sender's acknowledgement still
waits. It also owns the clock-driven loop of the engine's timers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence

from ..core.consent_events import ConsentEvent
from ..core.effects import STORED_TYPES, ForgetCase, Stored
from ..core.engine import CaseEngine
from ..core.errors import HelpwireError
from ..core.events import SENT_BEFORE_COMMIT, DomainEvent
from ..core.media_events import MediaEvent
from ..core.state import Overruled
from ..logs import get_logger
from ..settings.dispatch import DispatchSettings
from .persister import Persister
from .store_health import is_transient

log = get_logger("helpwire.hub")

#: what the hub carries out: typed events (engine, media desk, consent, outbox) and writes
Outgoing = DomainEvent | MediaEvent | ConsentEvent | Stored
#: sends a batch's messages to the participants (server/signalling/emitter.py)
Sender = Callable[[Sequence[Outgoing]], Awaitable[None]]
#: writes the engine's dispatch commands through to the shared state; returns those it refused
WriteThrough = Callable[[], Awaitable[Sequence[Overruled]]]

#: how many times in one batch the engine decides again after the shared state overruled it
#: (each time other nodes were first again); after that the cases wait for the next tick
MAX_REDECISIONS = 3


class Hub:
    def __init__(
        self,
        engine: CaseEngine,
        persister: Persister,
        send: Sender,
        timing: DispatchSettings,
        shared_state: WriteThrough | None = None,
    ) -> None:
        self.engine = engine
        self.persister = persister
        self._send = send
        #: tick_seconds, housekeeping_seconds and finished_case_memory_seconds of [dispatch]
        self._tick_seconds = timing.tick_seconds
        self._housekeeping_seconds = timing.housekeeping_seconds
        self._finished_case_memory_seconds = timing.finished_case_memory_seconds
        #: writes the engine's dispatch-state commands through to the state shared between
        #: nodes (server/cluster/replica.py), before anything of the batch is stored or said
        self._shared_state = shared_state
        self._ticker: asyncio.Task[None] | None = None
        #: called with each batch after it was carried out (media, metrics, the supervisor view)
        self.observers: list[Callable[[list[Outgoing]], Awaitable[None]]] = []

    async def run(self, outgoing: Iterable[Outgoing]) -> None:
        batch = list(outgoing)
        refusal: HelpwireError | None = None
        if self._shared_state is not None:
            batch, refusal = await self._write_through(batch)
        early = [item for item in batch if isinstance(item, SENT_BEFORE_COMMIT)]
        if early:
            await self._send(early)
        await self.store(batch)
        await self._send([item for item in batch if not isinstance(item, SENT_BEFORE_COMMIT)])
        for item in batch:
            if isinstance(item, ForgetCase):
                log.info("case_finished", case_id=item.case_id)
        for observer in self.observers:
            await observer(batch)
        if refusal is not None:
            raise refusal  # the caller's own command lost to another node's (an accept)

    async def _write_through(self, batch: list[Outgoing]) -> tuple[list[Outgoing],
                                                                    HelpwireError | None]:
        """The batch's dispatch commands in the shared state first; what it refused is taken
        back (its events dropped) and decided again, whose commands are written through too."""
        assert self._shared_state is not None
        refusal: HelpwireError | None = None
        for round_ in range(MAX_REDECISIONS + 1):
            refused = await self._shared_state()
            if refused:
                batch = [*batch, *self.engine.overruled(refused,
                                                        decide_again=round_ < MAX_REDECISIONS)]
            # also what a write-through of another batch took back from this one
            batch, lost = self.engine.unsaid(batch)
            refusal = refusal or lost
            if not refused:
                break
        return batch, refusal

    async def store(self, outgoing: Iterable[Outgoing]) -> None:
        """Wait until the writes among ``outgoing`` are committed (raises if one is refused)."""
        futures = [self.persister.submit(e) for e in outgoing if isinstance(e, STORED_TYPES)]
        for future in futures:
            # shielded: a shared save's future must survive one waiter being cancelled
            await asyncio.shield(future)

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
        self.engine.forget_finished(older_than=now - self._finished_case_memory_seconds)
        try:
            async with asyncio.timeout(self.persister.settings.write_timeout_seconds):
                dropped = await self.persister.cases.purge_expired_carts(now)
        except Exception as error:
            if not is_transient(error):
                raise
            # the store is down: the persister reports that; the carts go at the next round
            log.warning("cart_purge_postponed", error=type(error).__name__)
            return
        if dropped:
            log.info("cart_snapshots_dropped", count=dropped)
