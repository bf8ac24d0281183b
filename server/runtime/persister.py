"""Writes case metadata in the background, in order, one writer: no handler waits on the disk."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..core.case import Case
from ..core.effects import KeepTranscript, SaveCallback, SaveCase
from ..logs import get_logger
from ..store import CaseRepository

log = get_logger("helpwire.persister")

Job = SaveCase | SaveCallback | KeepTranscript


class Persister:
    def __init__(self, cases: CaseRepository, lookup: Callable[[str], Case | None]) -> None:
        self.cases = cases
        self._lookup = lookup
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._pending_saves: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="helpwire-persister")

    def submit(self, job: Job) -> None:
        if isinstance(job, SaveCase):
            if job.case_id in self._pending_saves:
                return  # the queued save will write the newest state anyway
            self._pending_saves.add(job.case_id)
        self._queue.put_nowait(job)

    async def flush(self) -> None:
        """Wait until everything submitted so far is written."""
        await self._queue.join()

    async def stop(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._write(job)
            except Exception:
                log.exception("persist_failed", job=type(job).__name__)
            finally:
                self._queue.task_done()

    async def _write(self, job: Job) -> None:
        if isinstance(job, SaveCase):
            self._pending_saves.discard(job.case_id)
            case = self._lookup(job.case_id)
            if case is not None:
                await self.cases.save(case)
        elif isinstance(job, SaveCallback):
            await self.cases.save_callback(
                job.case_id, job.requested_at, job.reason, job.contact, job.cart,
                job.cart_expires_at,
            )
        else:
            await self.cases.add_transcript_message(job.case_id, job.at, job.sender, job.text)
