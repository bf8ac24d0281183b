"""Event-loop lag and collector pauses: measured in the server, on /metrics, and warned about."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from structlog.testing import capture_logs

from server.app import LOOP_MONITOR
from server.runtime.loop_monitor import LoopMonitor
from server.runtime.tuning import CollectorTuning, new_event_loop
from tests.integration.test_insights import scrape, value
from tests.support.live import LiveServer

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


def test_a_lag_past_the_threshold_is_warned_about_with_fixed_fields_only() -> None:
    monitor = LoopMonitor(interval_seconds=0.01, stall_seconds=0.1)
    seen: list[float] = []
    monitor.lag_observers.append(seen.append)
    with capture_logs() as logs:
        monitor.record_lag(0.004)
        monitor.record_lag(0.25)
    assert seen == [0.004, 0.25]
    assert monitor.stalls == 1
    assert logs == [{
        "event": "event_loop_stalled", "log_level": "warning", "lag_ms": 250.0, "threshold_ms": 100.0,
        "collector_pause_ms": 0.0, "collector_generation": None,
    }]


async def test_collector_pauses_are_timed_by_generation_and_named_in_the_next_stall() -> None:
    ticks = iter([10.0, 10.3])  # the injected clock: the collection takes 300 ms
    monitor = LoopMonitor(interval_seconds=0.01, stall_seconds=0.1, clock=lambda: next(ticks))
    pauses: list[tuple[int, float]] = []
    monitor.pause_observers.append(lambda generation, seconds: pauses.append((generation, seconds)))
    monitor._on_gc("start", {"generation": 2})
    monitor._on_gc("stop", {"generation": 2, "collected": 0, "uncollectable": 0})
    assert pauses == []  # nothing is observed inside the collector itself
    monitor.flush_pauses()
    assert pauses == [(2, pytest.approx(0.3))]
    with capture_logs() as logs:
        monitor.record_lag(0.31)
    assert logs[0]["collector_pause_ms"] == 300.0 and logs[0]["collector_generation"] == 2


async def test_the_monitor_follows_real_collections_and_leaves_gc_callbacks_as_it_found_them() -> None:
    monitor = LoopMonitor(interval_seconds=5, stall_seconds=1)
    generations: list[int] = []
    monitor.pause_observers.append(lambda generation, seconds: generations.append(generation))
    before = list(gc.callbacks)
    monitor.start()
    gc.collect()
    monitor.flush_pauses()
    await monitor.stop()
    assert 2 in generations
    assert gc.callbacks == before


async def test_a_blocked_loop_shows_on_metrics_and_in_the_log(server_factory: Factory) -> None:
    async with server_factory(runtime__loop_stall_warning_seconds=0.05) as server:
        monitor = server.app[LOOP_MONITOR]
        assert monitor.running
        stalled = asyncio.create_task(monitor.next_stall())
        await asyncio.sleep(0)  # let the waiter register
        with capture_logs() as logs:
            time.sleep(0.08)  # noqa: ASYNC251 - a deliberate stall of the server's loop
            await asyncio.wait_for(stalled, 5)
        assert [entry["event"] for entry in logs].count("event_loop_stalled") >= 1
        gc.collect()  # a collector pause to time
        monitor.flush_pauses()
        text = await scrape(server)
        assert value(text, "helpwire_event_loop_stalls_total") >= 1
        assert value(text, 'helpwire_event_loop_lag_seconds_bucket{le="+Inf"}') >= 1
        assert value(text, 'helpwire_event_loop_lag_seconds_bucket{le="0.05"}') < value(
            text, 'helpwire_event_loop_lag_seconds_bucket{le="+Inf"}')
        assert value(text, 'helpwire_gc_pause_seconds_count{generation="2"}') >= 1
    assert not monitor.running


async def test_collector_tuning_sets_thresholds_and_freezes_then_undoes_both() -> None:
    before = gc.get_threshold()
    tuning = CollectorTuning(thresholds=(5000, 20, 100), freeze_on_start=True)
    tuning.start()
    try:
        assert gc.get_threshold() == (5000, 20, 100)
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        kept = [object() for _ in range(10)]  # state of a connection that lives on
        tuning.freeze()
        assert gc.get_freeze_count() >= frozen and tuning.freezes == 2
        del kept
    finally:
        await tuning.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_periodic_freezing_runs_on_its_own() -> None:
    tuning = CollectorTuning(freeze_on_start=False, freeze_interval_seconds=0.001)
    tuning.start()
    assert tuning.freezes == 0
    try:
        for _ in range(2):
            await asyncio.wait_for(tuning.next_freeze(), 5)
    finally:
        await tuning.stop()
    assert gc.get_freeze_count() == 0


async def test_a_thaw_collects_the_frozen_heap_once_per_interval() -> None:
    now = [0.0]
    tuning = CollectorTuning(freeze_on_start=True, thaw_interval_seconds=60, clock=lambda: now[0])
    tuning.start()
    try:
        now[0] = 30.0
        tuning.tick()
        assert (tuning.freezes, tuning.thaws) == (2, 0)
        now[0] = 61.0
        with capture_logs() as logs:
            tuning.tick()
        assert (tuning.freezes, tuning.thaws) == (3, 1)
        assert gc.get_freeze_count() > 0  # frozen again right after the full collection
        assert logs[0]["event"] == "collector_thawed" and logs[0]["pause_ms"] >= 0
        now[0] = 100.0
        tuning.tick()
        assert tuning.thaws == 1  # the next one is due at 121 s
    finally:
        await tuning.stop()
    assert gc.get_freeze_count() == 0


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


async def test_a_frozen_reference_cycle_waits_for_the_thaw_which_frees_and_counts_it() -> None:
    now = [0.0]
    tuning = CollectorTuning(freeze_on_start=True, thaw_interval_seconds=60, clock=lambda: now[0])
    tuning.start()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # the shape a closed connection's garbage used to have
        alive = weakref.ref(a)
        now[0] = 1.0
        tuning.tick()  # frozen while still in use
        del a, b
        gc.collect()
        assert alive() is not None  # frozen: the collector does not look at it
        now[0] = 61.0
        with capture_logs() as logs:
            tuning.tick()
        assert alive() is None and tuning.thaws == 1
        assert tuning.last_thaw_freed >= 2
        assert logs[0]["event"] == "collector_thawed" and logs[0]["freed_objects"] == tuning.last_thaw_freed
    finally:
        await tuning.stop()


def test_the_event_loop_setting_picks_the_loop() -> None:
    uvloop = pytest.importorskip("uvloop")
    for kind, expected in (("asyncio", asyncio.AbstractEventLoop), ("uvloop", uvloop.Loop)):
        loop = new_event_loop(kind)
        try:
            assert isinstance(loop, expected)
        finally:
            loop.close()
    with pytest.raises(ValueError, match="unknown event loop"):
        new_event_loop("trio")
