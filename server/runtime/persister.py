"""Writes case metadata in the background, in order, one writer: no handler waits on the disk.

What is queued is written in batches: up to ``MAX_BATCH_JOBS`` jobs in one transaction, in
submission order. When a batch fails it is retried job by job, so one bad job loses only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from ..core.case import Case
from ..core.effects import KeepTranscript, QueueWebhook, SaveCallback, SaveCase
from ..logs import get_logger
from ..store import CaseRepository

log = get_logger("helpwire.persister")

Job = SaveCase | SaveCallback | KeepTranscript | QueueWebhook

#: the most queued jobs written in one transaction; the rest wait for the next one
MAX_BATCH_JOBS = 200


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
        """Wait until everything submitted so far is written (or has failed and been logged)."""
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
            jobs = [await self._queue.get()]
            while len(jobs) < MAX_BATCH_JOBS and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            for job in jobs:
                if isinstance(job, SaveCase):
                    # a change from now on queues a new save; this one reads the case later
                    self._pending_saves.discard(job.case_id)
            try:
                await self._write_batch(jobs)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _write_batch(self, jobs: Sequence[Job]) -> None:
        try:
            await self._write(jobs)
            return
        except Exception as error:
            # the exception's text may quote the values written: only its type is logged
            log.error("persist_failed", jobs=len(jobs), error=type(error).__name__)
        if len(jobs) == 1:
            return
        for job in jobs:
            try:
                await self._write((job,))
            except Exception as error:
                log.error("persist_failed", job=type(job).__name__, error=type(error).__name__)

    async def _write(self, jobs: Sequence[Job]) -> None:
        """Write the jobs in one transaction, in order; consecutive case saves go together."""
        async with self.cases.batch() as batch:
            run: list[Case] = []
            for job in jobs:
                if isinstance(job, SaveCase):
                    case = self._lookup(job.case_id)
                    if case is not None:
                        run.append(case)
                    continue
                if run:
                    await batch.save_cases(run)
                    run = []
                if isinstance(job, SaveCallback):
                    await batch.save_callback(
                        job.case_id, job.requested_at, job.reason, job.contact, job.cart,
                        job.cart_expires_at,
                    )
                elif isinstance(job, QueueWebhook):
                    await batch.queue_delivery(job)
                else:
                    await batch.add_transcript_message(job.case_id, job.at, job.sender, job.text)
            if run:
                await batch.save_cases(run)
