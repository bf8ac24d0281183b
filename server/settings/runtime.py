"""The settings section of runtime tuning (``[runtime]``, docs/performance.md).

The event loop, its lag monitor and the garbage collector (server/runtime/tuning.py,
server/runtime/loop_monitor.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class RuntimeSettings(BaseModel):
    """Process-level tuning: measured choices, each explained in docs/performance.md."""

    model_config = {"extra": "forbid"}

    #: the event loop of `python -m server serve`: "uvloop" (libuv; per forwarded RTP packet and per
    #: Socket.IO message it costs a fraction of the standard loop, see docs/performance.md) or
    #: "asyncio" (the standard library's)
    event_loop: Literal["asyncio", "uvloop"] = "uvloop"
    #: how often the loop monitor samples event-loop lag (helpwire_event_loop_lag_seconds)
    loop_monitor_interval_seconds: float = Field(0.01, gt=0, le=10)
    #: a lag sample longer than this is logged as event_loop_stalled
    loop_stall_warning_seconds: float = Field(0.1, gt=0)
    #: move everything alive after start-up out of the collector's sight (gc.freeze)
    gc_freeze_on_start: bool = True
    #: also freeze what is alive this often (long-lived connection state); 0 = only at start-up.
    #: Short, so that under connection churn few young connection objects are alive when a young
    #: collection runs (1 s made 25-45 ms pauses, 0.25 s 12-16 ms; docs/performance.md)
    gc_freeze_interval_seconds: float = Field(0.25, ge=0)
    #: with periodic freezing: unfreeze and collect in full this often (one pause of about 0.1 ms
    #: per connection), so reference cycles frozen in the meantime do not pile up
    gc_thaw_interval_seconds: float = Field(3600.0, gt=0)
    #: the collector's thresholds (gen0, gen1, gen2); empty = Python's own (700, 10, 10)
    gc_thresholds: list[int] = Field(default_factory=list)

    @field_validator("gc_thresholds")
    @classmethod
    def _thresholds(cls, value: list[int]) -> list[int]:
        if value and (len(value) != 3 or value[0] < 1 or min(value) < 0):
            raise ValueError("gc_thresholds must be empty or three numbers [gen0 ≥ 1, gen1, gen2]")
        return value
