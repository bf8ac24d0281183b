"""The outbox worker: delivers due outbox rows at least once, through restarts, with backoff.

Rows are committed with the decision they announce (server/store/outbox.py). The worker claims
due rows with a lease, makes one attempt per row through the sender of the row's kind, and marks
the row delivered, due again after a capped exponential backoff, or given up after
``attempts`` tries. A commit that queued a row wakes it at once; otherwise it looks again every
``poll_seconds`` (or sooner, when the next retry is due). Rows left pending by a stopped or dead
server are taken up by the next one: a stop gives its claims back, a crash's claims run out
after the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from consent.webhook import backoff_delays

from ..core.clock import Clock
from ..core.consent_events import DeliveryStatusChanged
from ..core.effects import QueueWebhook
from ..logs import get_logger
from ..report.sender import REPORT_WEEKLY, ReportSender
from ..settings.outbox import OutboxSettings
from ..settings.reports import ReportSettings
from ..store import Database
from ..store.outbox import GIVEN_UP, Backlog, Delivery, OutboxRepository
from ..webhooks import POS_ITEM_UNLOCKED, HttpPoster, Sender
from .hub import Hub

log = get_logger("helpwire.outbox")

#: rows claimed (and attempted concurrently) per round
CLAIM_BATCH = 20
#: the shortest wait between two rounds, so a row due "now" but not yet claimable never spins
MIN_WAIT_SECONDS = 0.01

StatusListener = Callable[[Delivery], Awaitable[None]]


def status_view(delivery: Delivery) -> dict[str, Any]:
    """The agent's `webhook_status` payload (docs/protocol.md): no target, no payload."""
    return {"case_id": delivery.case_id, "delivery_id": delivery.id, "kind": delivery.kind,
            "status": delivery.status, "attempts": delivery.attempts}


class OutboxWorker:
    def __init__(
        self,
        repository: OutboxRepository,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        attempts: int,
        backoff_seconds: float,
        backoff_cap_seconds: float,
        poll_seconds: float,
        lease_seconds: float,
        stop_seconds: float,
    ) -> None:
        self.repository = repository
        self.senders = dict(senders)
        self.clock = clock
        self.attempts = attempts
        self.delays = backoff_delays(attempts, backoff_seconds, backoff_cap_seconds)
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        #: how long a stop waits for a database call of the worker to finish before cancelling it
        self.stop_seconds = stop_seconds
        #: told every change of a row (an attempt failed, delivered, given up)
        self.status_listeners: list[StatusListener] = []
        #: counted since start-up, for /metrics
        self.delivered = 0
        self.failed_attempts = 0
        self.given_up = 0
        #: the pending rows as of the last round, for /metrics
        self.backlog = Backlog(0, None, None)
        self._wake = asyncio.Event()
        self._in_flight: dict[str, Delivery] = {}
        #: the attempts' sends under way (a stop cuts them short)
        self._sends: set[asyncio.Task[str | None]] = set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="helpwire-outbox")

    async def stop(self) -> None:
        """Stop attempting; claims of attempts cut short are given back for the next server.

        Only the sends are cut short: a database call is let finish (cancelling one can leave
        its connection unclosed), unless it hangs longer than ``stop_seconds`` (outbox.stop_seconds).
        """
        self._stopping = True
        self._wake.set()
        for send in list(self._sends):
            send.cancel()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.stop_seconds)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        for delivery in list(self._in_flight.values()):
            try:
                await self.repository.release(delivery)
            except Exception as error:  # the lease runs out by itself
                log.warning("outbox_release_failed", delivery_id=delivery.id,
                            error=type(error).__name__)
        self._in_flight.clear()
        for sender in self.senders.values():
            await sender.close()

    def wake(self) -> None:
        """A row was committed: look for due rows now instead of at the next poll."""
        self._wake.set()

    async def enqueue(self, jobs: Iterable[QueueWebhook]) -> None:
        """Queue deliveries that announce nothing else stored (the weekly report), and wake."""
        await self.repository.add(jobs)
        self.wake()

    # ------------------------------------------------------------------ rounds

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()  # a commit during the round wakes the next one
            try:
                await self.run_once()
            except Exception as error:  # e.g. the database is unreachable: try again later
                log.error("outbox_round_failed", error=type(error).__name__)
            wait = self.poll_seconds
            if self.backlog.next_due_at is not None:
                wait = min(wait, self.backlog.next_due_at - self.clock.now())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(MIN_WAIT_SECONDS, wait))

    async def run_once(self) -> int:
        """Claim the due rows and make one attempt at each; returns how many were attempted."""
        if self._stopping:
            return 0
        claimed = await self.repository.claim_due(self.clock.now(), self.lease_seconds,
                                                  CLAIM_BATCH)
        if claimed:
            await asyncio.gather(*(self._attempt(delivery) for delivery in claimed))
        self.backlog = await self.repository.backlog()
        return len(claimed)

    def retry_delay(self, attempt: int) -> float | None:
        """The wait after failed attempt number ``attempt`` (1-based); None = give up."""
        if attempt >= self.attempts:
            return None
        return self.delays[attempt - 1]

    async def _attempt(self, delivery: Delivery) -> None:
        self._in_flight[delivery.id] = delivery
        try:
            if not await self._attempt_claimed(delivery):
                return  # cut short by stop(), which gives the claim back
        except Exception as error:  # the row stays claimed until its lease runs out
            log.error("outbox_attempt_crashed", delivery_id=delivery.id,
                      error=type(error).__name__)
        del self._in_flight[delivery.id]

    async def _attempt_claimed(self, delivery: Delivery) -> bool:
        """One attempt and its outcome stored; False when a stop cut the send short."""
        attempt = delivery.attempts + 1
        sender = self.senders.get(delivery.kind)
        if sender is None:
            problem: str | None = "no_sender_for_kind"
        else:
            send = asyncio.ensure_future(sender.send(delivery, self.clock.now()))
            self._sends.add(send)
            try:
                problem = await send
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                return False
            except Exception as error:  # a sender's bug must not hold the row forever
                problem = type(error).__name__
            finally:
                self._sends.discard(send)
        if problem is None:
            done = await self.repository.mark_delivered(delivery, self.clock.now())
            if done is None:
                log.warning("outbox_claim_lost", delivery_id=delivery.id)
                return True
            self.delivered += 1
            log.info("webhook_delivered", kind=delivery.kind, delivery_id=delivery.id,
                     attempt=attempt)
        else:
            delay = self.retry_delay(attempt)
            retry_at = None if delay is None else self.clock.now() + delay
            done = await self.repository.mark_failed(delivery, problem, retry_at)
            if done is None:
                log.warning("outbox_claim_lost", delivery_id=delivery.id)
                return True
            self.failed_attempts += 1
            log.warning("webhook_attempt_failed", kind=delivery.kind, delivery_id=delivery.id,
                        attempt=attempt, problem=problem)
            if done.status == GIVEN_UP:
                self.given_up += 1
                log.error("webhook_gave_up", kind=delivery.kind, delivery_id=delivery.id,
                          attempts=done.attempts, problem=problem)
        for listener in self.status_listeners:
            try:
                await listener(done)
            except Exception as error:
                log.warning("outbox_status_listener_failed", error=type(error).__name__)
        return True


def agent_status(hub: Hub) -> StatusListener:
    """Tell the agent of the row's case how its delivery went (`webhook_status` on /agent)."""

    async def tell(delivery: Delivery) -> None:
        if delivery.case_id is None:
            return
        case = hub.engine.cases.get(delivery.case_id)
        agent_id = case.agent_id if case is not None else None
        if agent_id is None:  # the case is no longer in memory: the decision names the agent
            named = delivery.payload.get("agent_id")
            agent_id = named if isinstance(named, str) else None
        if agent_id is not None:
            await hub.run([DeliveryStatusChanged(agent_id, status_view(delivery))])

    return tell


def build_outbox(config: OutboxSettings, pos_webhook_secret: str, reports: ReportSettings,
                 database: Database, hub: Hub) -> OutboxWorker:
    """The worker with a sender per kind, telling agents how their cases' deliveries went."""
    timeout = config.attempt_timeout_seconds
    worker = OutboxWorker(
        OutboxRepository(database),
        {POS_ITEM_UNLOCKED: HttpPoster(pos_webhook_secret, timeout),
         REPORT_WEEKLY: ReportSender(reports, timeout)},
        hub.engine.clock,
        attempts=config.attempts,
        backoff_seconds=config.backoff_seconds,
        backoff_cap_seconds=config.backoff_cap_seconds,
        poll_seconds=config.poll_seconds,
        lease_seconds=config.lease_seconds,
        stop_seconds=config.stop_seconds,
    )
    worker.status_listeners.append(agent_status(hub))
    return worker
