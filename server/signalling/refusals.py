"""Refused events in the log: the first of each client's window at once, the rest as one count.

A client that sends garbage sends a lot of it (a fuzzer, a broken widget in a loop). Logging each
refusal would let it write the log as fast as it can send; logging none would hide it. So each
client (one socket) gets one `event_refused` line for the first refusal of a window, and one
`events_refused_summary` line with the count by code for the rest, written when its next window
begins or when it disconnects, whichever comes first.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..logs import get_logger

log = get_logger("helpwire.signalling")


@dataclass
class _Window:
    started: float
    suppressed: Counter[str] = field(default_factory=Counter)


class RefusalLog:
    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}

    def refused(self, namespace: str, sid: str, event: str, code: str) -> None:
        now = self._clock()
        key = (namespace, sid)
        window = self._windows.get(key)
        if window is not None and now - window.started < self.window_seconds:
            window.suppressed[code] += 1
            return
        if window is not None:
            self._summarise(key, window, now)
        self._windows[key] = _Window(now)
        log.info("event_refused", namespace=namespace, sid=sid, event_name=event, code=code)

    def forget(self, namespace: str, sid: str) -> None:
        """The client left: write what was held back, keep nothing."""
        key = (namespace, sid)
        window = self._windows.pop(key, None)
        if window is not None:
            self._summarise(key, window, self._clock())

    def __len__(self) -> int:
        return len(self._windows)

    def _summarise(self, key: tuple[str, str], window: _Window, now: float) -> None:
        if not window.suppressed:
            return
        log.info("events_refused_summary", namespace=key[0], sid=key[1],
                 count=sum(window.suppressed.values()), codes=dict(window.suppressed),
                 window_seconds=round(now - window.started, 3))
