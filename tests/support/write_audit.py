"""Which files a server running in this process opens for writing, while a test watches.

A Python audit hook sees every ``open`` Python code makes; C code that bypasses Python (SQLite,
codecs) is caught by sampling /proc/self/fd for files held open with write access.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recording: list[list[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _recording:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
    if writing:
        for record in _recording:
            record.append(str(path))


sys.addaudithook(_audit)  # cannot be removed; it records only while a watch is on


def database_file(path: str) -> bool:
    name = Path(path).name
    return any(name == f"helpwire.sqlite3{suffix}" for suffix in ("", "-wal", "-shm", "-journal"))


def open_for_writing() -> dict[int, str]:
    """Regular files this process holds open with write access (C code included)."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{entry}")
            with open(f"/proc/self/fdinfo/{entry}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration):
            continue
        if target.startswith("/") and not target.startswith("/dev/") and flags & 0o3:
            found[int(entry)] = target
    return found


@dataclass
class Watch:
    opened: list[str] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)

    def strays(self) -> list[str]:
        """Everything written but the database."""
        return sorted({p for p in [*self.opened, *self.held.values()] if not database_file(p)})


@asynccontextmanager
async def watching_writes() -> AsyncIterator[Watch]:
    watch = Watch()
    before = open_for_writing()
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            watch.held.update({fd: p for fd, p in open_for_writing().items() if before.get(fd) != p})
            try:
                await asyncio.wait_for(stop.wait(), 0.02)
            except TimeoutError:
                pass

    _recording.append(watch.opened)
    sampler = asyncio.create_task(sample())
    try:
        yield watch
    finally:
        stop.set()
        await sampler
        _recording.remove(watch.opened)
