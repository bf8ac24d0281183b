"""Event-loop lag and garbage-collector pauses, measured inside the server.

A small task asks to wake up every `interval` seconds and records how late it woke up: that delay
is the event-loop lag, the time every other ready callback (a chat message, a media packet) had to
wait too. Collector pauses are timed from `gc.callbacks`. Both go to observers (the Prometheus
histograms in server/insights/metrics.py; the benchmark's own recorder) and a lag longer than
`stall_seconds` is logged as the fixed event `event_loop_stalled`, with no personal data.

No module-level state: each monitor owns its task and removes its collector callback on stop.
The collector callback only appends to a list (it runs in the middle of an allocation, so it must
not take locks, as prometheus-client does); the task hands those pauses on at its next sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..logs import get_logger

log = get_logger("helpwire.loop")

LagObserver = Callable[[float], None]
PauseObserver = Callable[[int, float], None]


@dataclass(frozen=True)
class CollectorPause:
    generation: int
    seconds: float


class LoopMonitor:
    def __init__(
        self,
        interval_seconds: float,
        stall_seconds: float,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if interval_seconds <= 0 or stall_seconds <= 0:
            raise ValueError("interval_seconds and stall_seconds must be positive")
        self.interval_seconds = interval_seconds
        self.stall_seconds = stall_seconds
        self._clock = clock
        #: called with every lag sample, in seconds
        self.lag_observers: list[LagObserver] = []
        #: called with (generation, seconds) of every collector pause
        self.pause_observers: list[PauseObserver] = []
        #: how many samples were longer than stall_seconds
        self.stalls = 0
        self._task: asyncio.Task[None] | None = None
        self._gc_started: float | None = None
        self._pending: list[CollectorPause] = []
        #: the pauses handed on just before the current sample (named in a stall warning)
        self._recent_pauses: list[CollectorPause] = []
        self._stalled: asyncio.Event | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start sampling on the running loop and timing collector pauses."""
        if self._task is not None:
            return
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="helpwire-loop-monitor")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.flush_pauses()

    @property
    def running(self) -> bool:
        return self._task is not None

    async def next_stall(self) -> None:
        """Wait until the next sample longer than stall_seconds (for tests and diagnostics)."""
        if self._stalled is None:
            self._stalled = asyncio.Event()
        self._stalled.clear()
        await self._stalled.wait()

    # ------------------------------------------------------------------ measuring

    async def _run(self) -> None:
        while True:
            due = self._clock() + self.interval_seconds
            await asyncio.sleep(self.interval_seconds)
            self.flush_pauses()
            self.record_lag(max(0.0, self._clock() - due))

    def record_lag(self, lag: float) -> None:
        """One lag sample: tell the observers; warn once per sample past the stall threshold."""
        for observe in self.lag_observers:
            observe(lag)
        if lag > self.stall_seconds:
            self.stalls += 1
            pauses = self._recent_pauses
            log.warning(
                "event_loop_stalled",
                lag_ms=round(lag * 1000, 1),
                threshold_ms=round(self.stall_seconds * 1000, 1),
                collector_pause_ms=round(sum(p.seconds for p in pauses) * 1000, 1),
                collector_generation=max((p.generation for p in pauses), default=None),
            )
            if self._stalled is not None:
                self._stalled.set()
        self._recent_pauses = []

    def flush_pauses(self) -> None:
        """Hand the collector pauses seen since the last sample to the observers."""
        pending, self._pending = self._pending, []
        for pause in pending:
            for observe in self.pause_observers:
                observe(pause.generation, pause.seconds)
        self._recent_pauses = pending

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = self._clock()
        elif self._gc_started is not None:
            self._pending.append(CollectorPause(int(info.get("generation", 2)),
                                                self._clock() - self._gc_started))
            self._gc_started = None
