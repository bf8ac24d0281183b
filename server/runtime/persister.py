"""Writes case metadata in order, one writer, and tells each submitter when its write is committed.

An acknowledgement is a promise: ``submit`` returns a future that completes only once the job is
committed, and the hub waits for it before it emits or acknowledges anything (group commit: what
is queued, up to ``max_batch_jobs`` jobs, goes in one transaction, so waiting costs one commit per
batch, not one per event).

A batch that fails for a reason that may pass (the database is unreachable or hangs, the disk is
full) is retried, whole and in order, with capped exponential backoff until it is committed or
the server stops; nothing is ever dropped. While that lasts ``health`` says so, and the
signalling layer refuses new state-changing events with ``storage_unavailable`` instead of
taking promises it cannot keep. A job the database refuses outright (a constraint, bad data) is
separated from the rest of its batch, logged and reported to its submitter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.case import Case
from ..core.effects import (
    ForgetCase,
    ForgetNotes,
    KeepChatText,
    KeepNote,
    KeepTranscript,
    QueueWebhook,
    SaveCallback,
    SaveCase,
    Stored,
)
from ..core.errors import CaseMoved, HelpwireError
from ..core.notes import Note
from ..logs import get_logger
from ..settings.durability import DurabilitySettings
from ..store import CaseRepository
from .store_health import StoreHealth, is_transient

log = get_logger("helpwire.persister")

Job = Stored


class StorageRejected(HelpwireError):
    """The database refused this write for good (not a passing outage); it has been logged."""

    code = "storage_rejected"


class PersisterStopped(HelpwireError):
    """The server stopped before this write was committed; it was never acknowledged."""

    code = "server_restarting"


@dataclass
class _Pending:
    job: Job
    future: asyncio.Future[None]
    #: the loop time of submission, for the oldest pending age
    since: float


class Persister:
    def __init__(
        self,
        cases: CaseRepository,
        lookup: Callable[[str], Case | None],
        settings: DurabilitySettings | None = None,
    ) -> None:
        self.cases = cases
        self._lookup = lookup
        self.settings = settings if settings is not None else DurabilitySettings()
        self.health = StoreHealth()
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        #: case id → the queued (not yet taken) save of that case, which later saves share
        self._pending_saves: dict[str, _Pending] = {}
        #: what is queued or being written, oldest first (for the health figures)
        self._in_flight: dict[int, _Pending] = {}
        self._task: asyncio.Task[None] | None = None
        #: called with the cases another node adopted, found when a write of theirs was fenced
        #: (``CaseBatch.fence``): the node drops them (server/cluster/membership.py)
        self.moved_listeners: list[Callable[[set[str]], None]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="helpwire-persister")

    async def stop(self) -> None:
        """Write what is queued (bounded by ``shutdown_flush_seconds``), then stop."""
        try:
            await asyncio.wait_for(self.flush(), self.settings.shutdown_flush_seconds)
        except TimeoutError:
            log.error("persist_unflushed_at_shutdown", jobs=self.pending)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for pending in list(self._in_flight.values()):
            if not pending.future.done():
                pending.future.set_exception(
                    PersisterStopped("the server stopped before this was stored; send it again")
                )
                pending.future.exception()  # retrieved: nobody may be waiting any more
        self._in_flight.clear()

    # ------------------------------------------------------------------ submitting

    @property
    def pending(self) -> int:
        return len(self._in_flight)

    def oldest_pending_seconds(self) -> float:
        if not self._in_flight:
            return 0.0
        oldest = next(iter(self._in_flight.values()))
        return max(0.0, asyncio.get_running_loop().time() - oldest.since)

    def writable(self) -> str | None:
        """Why new state-changing events should be refused now, or None if they can be taken."""
        if self.health.failing:
            return self.health.reason
        if self.pending >= self.settings.max_pending_writes:
            return "too_many_pending_writes"
        return None

    def submit(self, job: Job) -> asyncio.Future[None]:
        """Queue a write; the future completes when it is committed (or fails for good)."""
        if isinstance(job, SaveCase):
            queued = self._pending_saves.get(job.case_id)
            if queued is not None:
                return queued.future  # the queued save will write the newest state anyway
        loop = asyncio.get_running_loop()
        pending = _Pending(job, loop.create_future(), loop.time())
        if isinstance(job, SaveCase):
            self._pending_saves[job.case_id] = pending
        self._in_flight[id(pending)] = pending
        self._queue.put_nowait(pending)
        return pending.future

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed (or has failed for good)."""
        while self._in_flight:
            futures = [p.future for p in self._in_flight.values()]
            await asyncio.wait(futures)

    # ------------------------------------------------------------------ writing

    async def _run(self) -> None:
        limit = self.settings.max_batch_jobs
        linger = self.settings.commit_linger_seconds
        while True:
            batch = [await self._queue.get()]
            if linger > 0 and self._queue.qsize() < limit:
                # gather what arrives in the next moment into the same transaction: at a busy
                # node that is many commits fewer, at a quiet one a few milliseconds per ack
                await asyncio.sleep(linger)
            while len(batch) < limit and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            for pending in batch:
                job = pending.job
                if isinstance(job, SaveCase) and self._pending_saves.get(job.case_id) is pending:
                    # a change from now on queues a new save; this one reads the case later
                    del self._pending_saves[job.case_id]
            await self._write_until_committed(batch)

    async def _write_until_committed(self, batch: list[_Pending]) -> None:
        attempt = 0
        remaining = batch
        while remaining:
            try:
                moved = await self._write_timed([p.job for p in remaining])
            except Exception as error:
                attempt += 1
                if is_transient(error):
                    delay = self._backoff(attempt)
                    self.health.write_failed(error)
                    # the exception's text may quote the values written: only its type is logged
                    log.warning("persist_retrying", jobs=len(remaining), attempt=attempt,
                                retry_in_seconds=round(delay, 3), error=type(error).__name__,
                                reason=self.health.reason)
                    await asyncio.sleep(delay)
                    continue
                remaining = await self._separate_rejected(remaining)
                continue
            if moved:
                remaining = self._refuse_moved(remaining, moved)
            self._commit(remaining)
            if attempt:
                log.info("persist_recovered", jobs=len(remaining), attempts=attempt + 1)
            remaining = []

    async def _separate_rejected(self, batch: list[_Pending]) -> list[_Pending]:
        """Find the jobs the database refuses for good; the others are written again together."""
        keep: list[_Pending] = []
        for pending in batch:
            try:
                moved = await self._write_timed([pending.job])
            except Exception as error:
                if is_transient(error):
                    keep.append(pending)  # an outage began meanwhile: retried with the rest
                    continue
                self.health.write_rejected()
                log.error("persist_rejected", job=type(pending.job).__name__,
                          error=type(error).__name__)
                self._in_flight.pop(id(pending), None)
                if not pending.future.done():
                    pending.future.set_exception(StorageRejected(
                        "the database refused to store this; it has been logged for the operator"
                    ))
                continue
            self._commit(self._refuse_moved([pending], moved))
        return keep

    def _refuse_moved(self, batch: list[_Pending], moved: set[str]) -> list[_Pending]:
        """The jobs of cases another node adopted were not written: their submitters hear
        ``case_moving``, the listeners drop the cases; the rest is committed."""
        if not moved:
            return batch
        log.warning("persist_fenced", cases=len(moved))
        keep: list[_Pending] = []
        for pending in batch:
            if getattr(pending.job, "case_id", None) in moved:
                self._in_flight.pop(id(pending), None)
                if not pending.future.done():
                    pending.future.set_exception(CaseMoved())
            else:
                keep.append(pending)
        for listener in self.moved_listeners:
            listener(moved)
        return keep

    def _commit(self, batch: Sequence[_Pending]) -> None:
        self.health.write_succeeded()
        for pending in batch:
            self._in_flight.pop(id(pending), None)
            if not pending.future.done():
                pending.future.set_result(None)

    def _backoff(self, attempt: int) -> float:
        first = self.settings.retry_initial_seconds
        return float(min(self.settings.retry_max_seconds, first * 2.0 ** (attempt - 1)))

    async def _write_timed(self, jobs: Sequence[Job]) -> set[str]:
        async with asyncio.timeout(self.settings.write_timeout_seconds):
            return await self._write(jobs)

    async def _write(self, jobs: Sequence[Job]) -> set[str]:
        """Write the jobs in one transaction, a few statements per kind rather than per job.

        Case rows and events go first: a save writes the case's newest state, so it may go ahead
        of the jobs submitted after it, and every other row may need its case row. Then each
        other kind in submission order; the end of a case's open conversation (its chat text
        deleted) last, after any line of it in the same batch. First the fence: the jobs of a
        case another node hosts now are not written (returned: the cases they belong to).
        """
        async with self.cases.batch() as batch:
            moved = await batch.fence(
                {c for j in jobs if (c := getattr(j, "case_id", None)) is not None})
            if moved:
                jobs = [j for j in jobs if getattr(j, "case_id", None) not in moved]
            saved: dict[str, Case] = {}
            for job in jobs:
                if isinstance(job, SaveCase) and job.case_id not in saved:
                    case = self._lookup(job.case_id)
                    if case is not None:
                        saved[job.case_id] = case
            await batch.save_cases(saved.values())
            for job in jobs:
                if isinstance(job, SaveCallback):
                    await batch.save_callback(
                        job.case_id, job.requested_at, job.reason, job.contact, job.cart,
                        job.cart_expires_at,
                    )
                elif isinstance(job, QueueWebhook):
                    await batch.queue_delivery(job)
            await batch.add_transcript_messages(
                [(j.case_id, j.at, j.sender, j.text) for j in jobs if isinstance(j, KeepTranscript)])
            await batch.keep_chat_texts(
                [(j.case_id, j.message_id, j.text) for j in jobs if isinstance(j, KeepChatText)])
            await batch.keep_notes(
                [Note(j.note_id, j.case_id, j.agent_id, j.agent_name, j.kind, j.text, j.at)
                 for j in jobs if isinstance(j, KeepNote)])
            await batch.forget_notes([j.case_id for j in jobs if isinstance(j, ForgetNotes)])
            await batch.forget_chat_texts([j.case_id for j in jobs if isinstance(j, ForgetCase)])
        return moved
