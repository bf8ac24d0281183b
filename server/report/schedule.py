"""The weekly report inside the server: every Monday 08:00 (configurable) in the report time zone.

The time comes from the injected clock, so tests move a ManualClock instead of waiting. The
loop only polls; ``check()`` decides and is what tests call. Off unless
``reports.schedule_enabled`` is set. Delivery (e-mail, webhook) is in ``deliver.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..core.clock import Clock
from ..logs import get_logger

log = get_logger("helpwire.report.schedule")


def next_run(after: float, weekday: int, at: str, timezone: str) -> float:
    """The first ``weekday`` ``at`` (local wall time) strictly after ``after``."""
    zone = ZoneInfo(timezone)
    hours, minutes = (int(part) for part in at.split(":"))
    local = datetime.fromtimestamp(after, zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    while True:
        candidate = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone).timestamp()
        if candidate > after:
            return candidate
        day += timedelta(days=7)


class WeeklyScheduler:
    def __init__(
        self, clock: Clock, weekday: int, at: str, timezone: str,
        job: Callable[[float], Awaitable[None]], poll_seconds: float = 20.0,
    ) -> None:
        self._clock = clock
        self._weekday, self._at, self._timezone = weekday, at, timezone
        self._job = job
        self._poll = poll_seconds
        self.next_at = next_run(clock.now() - 1e-6, weekday, at, timezone)
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> bool:
        """Run the job if its time has come; True when it ran."""
        now = self._clock.now()
        if now < self.next_at:
            return False
        due = self.next_at
        self.next_at = next_run(now, self._weekday, self._at, self._timezone)
        log.info("scheduled_report_due", due=due)
        try:
            await self._job(due)
        except Exception:
            log.exception("scheduled_report_failed")
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="helpwire-report-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self._poll)
