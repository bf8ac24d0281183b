"""The event loop and the garbage collector, set up from settings (docs/performance.md says why).

A full collection walks every tracked container object the process holds; with thousands of
connected kiosks that is hundreds of thousands of objects and, on Python 3.11, a stop of the whole
event loop for tens to hundreds of milliseconds. `gc.freeze()` moves what is alive into a permanent
generation the collector no longer walks: done once after start-up (modules, settings, the rules,
the engine) and, optionally, every `gc_freeze_interval_seconds` for the state of connections that
have lived that long. Frozen objects are still freed by reference counting when they die, but
reference cycles among them are not. A closed websocket used to leave about 20 KB of such cycles
(Engine.IO's close raised an exception whose traceback held the reading task); it no longer does
(server/signalling/transport.py), so connection churn leaves nothing frozen behind. For cycles from
anywhere else, every `gc_thaw_interval_seconds` the heap is unfrozen and collected in full once
(one pause of about 0.1 ms per connection) before freezing again, and the log says how many
objects that freed (`collector_thawed`, `freed_objects`): near zero means the interval can grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Sequence

from ..logs import get_logger

log = get_logger("helpwire.tuning")


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A fresh event loop of the configured kind ("asyncio" or "uvloop")."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError as error:  # pragma: no cover - uvloop is a declared dependency
            raise RuntimeError("event_loop = \"uvloop\" needs the uvloop package") from error
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    if kind == "asyncio":
        return asyncio.new_event_loop()
    raise ValueError(f"unknown event loop {kind!r}; use asyncio or uvloop")


class CollectorTuning:
    """Applies thresholds and freezes at start; freezes periodically; undoes both on stop."""

    def __init__(
        self,
        thresholds: Sequence[int] = (),
        freeze_on_start: bool = True,
        freeze_interval_seconds: float = 0.0,
        thaw_interval_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thresholds = tuple(thresholds)
        self.freeze_on_start = freeze_on_start
        self.freeze_interval_seconds = freeze_interval_seconds
        self.thaw_interval_seconds = thaw_interval_seconds
        self._clock = clock
        self._thawed_at = clock()
        #: how many times the frozen heap was collected in full
        self.thaws = 0
        #: how many times this tuning froze the heap
        self.freezes = 0
        #: how many unreachable objects the last thaw's full collection found (frozen garbage)
        self.last_thaw_freed = 0
        self._previous: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._froze = asyncio.Event()

    async def next_freeze(self) -> None:
        """Wait until the next freeze (for tests and diagnostics)."""
        self._froze.clear()
        await self._froze.wait()

    def start(self) -> None:
        if self.thresholds:
            self._previous = gc.get_threshold()
            gc.set_threshold(*self.thresholds)
        if self.freeze_on_start:
            gc.collect()  # once, before anyone is connected: do not freeze start-up garbage
            self.freeze()
        if self.freeze_interval_seconds > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._periodic(), name="helpwire-gc-freeze"
            )
        log.info("collector_tuned", thresholds=list(gc.get_threshold()),
                 frozen_objects=gc.get_freeze_count(),
                 freeze_interval_seconds=self.freeze_interval_seconds)

    def freeze(self) -> None:
        """Collect the young generations, then move every survivor out of the collector's sight.

        Idle connections keep making objects that live one ping interval (about 50 per connection
        every 25 s: the Engine.IO ping and poll waits); freezing often keeps them away from full
        collections, and as they die by reference counting nothing piles up. The young
        collections cost what is young and alive, which under connection churn is every
        connection opened since the last freeze: hence a short interval (0.25 s by default).
        """
        gc.collect(1)
        gc.freeze()
        self.freezes += 1
        self._froze.set()

    def thaw(self) -> None:
        """Unfreeze and collect everything once: frees the cycles frozen since the last thaw."""
        started = self._clock()
        gc.unfreeze()
        self.last_thaw_freed = gc.collect()
        self._thawed_at = self._clock()
        self.thaws += 1
        log.info("collector_thawed", pause_ms=round((self._thawed_at - started) * 1000, 1),
                 freed_objects=self.last_thaw_freed)

    def tick(self) -> None:
        """One periodic step: freeze, after a thaw when one is due."""
        if self._clock() - self._thawed_at >= self.thaw_interval_seconds:
            self.thaw()
        self.freeze()

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.freeze_interval_seconds)
            self.tick()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.freezes:
            gc.unfreeze()
        if self._previous is not None:
            gc.set_threshold(*self._previous)
            self._previous = None
