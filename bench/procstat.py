"""CPU and memory of another process, read from /proc, so load generators never count as the server."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its reaped children, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are fields 14-17
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * _PAGE


@dataclass
class Usage:
    cpu_percent: float  #: % of ONE core over the window
    rss_start: int
    rss_end: int
    rss_peak: int
    seconds: float


class Window:
    """Measure `pid` between `start()` and `stop()`; call `sample()` now and then for the RSS peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._cpu0 = 0.0
        self._t0 = 0.0
        self._rss0 = 0
        self._peak = 0

    def start(self) -> None:
        self._cpu0 = cpu_seconds(self.pid)
        self._t0 = time.monotonic()
        self._rss0 = self._peak = rss_bytes(self.pid)

    def sample(self) -> None:
        self._peak = max(self._peak, rss_bytes(self.pid))

    def stop(self) -> Usage:
        cpu = cpu_seconds(self.pid) - self._cpu0
        seconds = time.monotonic() - self._t0
        rss = rss_bytes(self.pid)
        self._peak = max(self._peak, rss)
        return Usage(100.0 * cpu / seconds if seconds > 0 else 0.0, self._rss0, rss, self._peak, seconds)


def status_rss_bytes(pid: int) -> int:
    """VmRSS from /proc/<pid>/status (resident memory as `ps` and the kernel report it)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
