"""A participant's device as a real process that a test can freeze (SIGSTOP) and thaw (SIGCONT).

A frozen process is the hardest silent peer: its sockets stay open, the kernel still acknowledges
every TCP segment, but nothing above answers: no pong, no RTP, no FIN. The process prints one JSON
object per line on stdout (`tests/support/customer_process.py`, `media_tests/peer_process.py`);
`PeerProcess` collects them so the test can await what the device saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class PeerProcess:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self.lines: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(line))
                self._new.set()

    async def next(self, event: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                   *, since: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        """The first `event` line after the first `since` lines that matches `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[since:]:
                if line.get("event") == event and (predicate is None or predicate(line)):
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._reader.done():
                raise AssertionError(
                    f"the peer process printed no {event!r} line within {timeout} s;"
                    f" it printed {self.lines}; its stderr is in {self.log}:\n"
                    + self.log.read_text()[-3000:])
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)

    def freeze(self) -> float:
        """SIGSTOP: from now on the device says nothing. Returns the moment (time.monotonic)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        return time.monotonic()

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()  # SIGKILL reaches a stopped process too
            await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def peer_process(module: str, *args: str, log: Path) -> AsyncIterator[PeerProcess]:
    """`python -m module args…` from the repository root; always SIGKILLed on the way out."""
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=stderr)
    peer = PeerProcess(process, log)
    try:
        yield peer
    finally:
        await peer.kill()
