"""The node's view of the shared dispatch state: what the synchronous engine reads and commands,
written through to the shared state (Redis) by the hub before anything is stored or said.

The core is pure and synchronous; Redis is asynchronous. So the engine decides on this local
view, whose commands run at once on an in-memory state (the reference semantics) and are kept in
order in a journal. ``flush`` — awaited by the hub at the start of every batch it carries out
(``Hub.run``), so before the batch's writes are committed and its events sent — applies the
journal to the shared state, one atomic script per command, in the order the engine issued them.
Each shared result is compared with the local one: they differ only when another node changed
the shared state in between (a conflict, counted and logged; resolving it is the multi-node
step that follows). While Redis cannot be reached the journal is kept and applied when it
answers again (tried at most every ``retry_seconds``), so the node goes on serving its own cases.
A command whose reply was lost with the connection is applied again and shows as a conflict;
making commands idempotent by id belongs to the Redis-outage step.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from ..core.agents import AgentProfile, AgentStatus, Presence
from ..core.state import Expiry, MemoryDispatchState, Offer, QueueEntry
from ..logs import get_logger
from .port import AsyncDispatchState

log = get_logger("helpwire.cluster")


class SharedStateUnavailable(RuntimeError):
    """The shared dispatch state could not be reached at start-up."""


@dataclass(frozen=True)
class Command:
    """One command as the engine issued it, and the result it acted on."""

    name: str
    args: tuple[Any, ...]
    result: Any


class WriteThroughDispatchState:
    """A ``core.state.DispatchState`` whose commands are journalled for the shared state."""

    def __init__(self, shared: AsyncDispatchState, retry_seconds: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        #: after a failed write, how long batches go on without trying Redis again (so an
        #: outage costs each batch nothing, not a connect timeout)
        self._retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._retry_at = 0.0
        self.local = MemoryDispatchState()
        self._journal: deque[Command] = deque()
        self._lock = asyncio.Lock()
        #: commands applied to the shared state, and those whose result differed from ours
        self.applied = 0
        self.conflicts = 0
        self.available = True

    # ------------------------------------------------------------------ reads: the local view

    def entry(self, case_id: str) -> QueueEntry | None:
        return self.local.entry(case_id)

    def waiting(self, queue: str) -> list[QueueEntry]:
        return self.local.waiting(queue)

    def queue_names(self) -> Iterable[str]:
        return self.local.queue_names()

    def agent(self, agent_id: str) -> AgentStatus | None:
        return self.local.agent(agent_id)

    def agents(self) -> Iterable[AgentStatus]:
        return self.local.agents()

    def offer_for_case(self, case_id: str) -> Offer | None:
        return self.local.offer_for_case(case_id)

    def offer_for_agent(self, agent_id: str) -> Offer | None:
        return self.local.offer_for_agent(agent_id)

    def offers(self) -> Iterable[Offer]:
        return self.local.offers()

    # ------------------------------------------------------------------ commands: local, journalled

    def _run(self, name: str, command: Callable[..., Any], *args: Any) -> Any:
        result = command(*args)
        self._journal.append(Command(name, args, result))
        return result

    def enqueue(self, entry: QueueEntry) -> QueueEntry:
        result: QueueEntry = self._run("enqueue", self.local.enqueue, entry)
        return result

    def dequeue(self, case_id: str) -> QueueEntry | None:
        result: QueueEntry | None = self._run("dequeue", self.local.dequeue, case_id)
        return result

    def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus:
        result: AgentStatus = self._run("connect_agent", self.local.connect_agent, profile, now)
        return result

    def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("disconnect_agent", self.local.disconnect_agent,
                                               agent_id, now)
        return result

    def set_presence(self, agent_id: str, presence: Presence, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("set_presence", self.local.set_presence,
                                               agent_id, presence, now)
        return result

    def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("release", self.local.release, agent_id, case_id, now)
        return result

    def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None:
        result: AgentStatus | None = self._run("settle_lost_agent", self.local.settle_lost_agent,
                                               agent_id, drop)
        return result

    def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                      grace_until: float) -> AgentStatus:
        result: AgentStatus = self._run("restore_agent", self.local.restore_agent, profile,
                                        case_id, now, grace_until)
        return result

    def offer(self, offer: Offer) -> Offer | None:
        result: Offer | None = self._run("offer", self.local.offer, offer)
        return result

    def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("accept", self.local.accept, case_id, agent_id, now)
        return result

    def decline(self, case_id: str, agent_id: str) -> Offer | None:
        result: Offer | None = self._run("decline", self.local.decline, case_id, agent_id)
        return result

    def withdraw(self, case_id: str) -> Offer | None:
        result: Offer | None = self._run("withdraw", self.local.withdraw, case_id)
        return result

    def expire(self, case_id: str, now: float) -> Expiry | None:
        result: Expiry | None = self._run("expire", self.local.expire, case_id, now)
        return result

    # ------------------------------------------------------------------ the write-through

    @property
    def pending(self) -> int:
        """Commands the shared state has not been given yet."""
        return len(self._journal)

    async def start(self) -> None:
        """At start-up, before the live cases are restored into it: this node rebuilds the
        shared state it holds from its own cases, so whatever a previous run left goes first."""
        self._journal.clear()
        try:
            await self.shared.reset()
        except (RedisError, OSError) as error:
            raise SharedStateUnavailable(
                f"the shared dispatch state cannot be reached ({type(error).__name__}: {error});"
                " check [cluster] redis_url, or leave it empty to keep the state in memory"
            ) from error

    async def close(self) -> None:
        await self.shared.close()

    async def flush(self) -> None:
        """Apply every journalled command to the shared state, in order (the hub awaits this)."""
        if not self._journal or (not self.available and self._monotonic() < self._retry_at):
            return
        async with self._lock:
            while self._journal:
                command = self._journal[0]
                method: Callable[..., Awaitable[Any]] = getattr(self.shared, command.name)
                try:
                    shared = await method(*command.args)
                except (RedisError, OSError) as error:
                    if self.available:
                        log.warning("dispatch_state_unavailable", error=type(error).__name__,
                                    pending=len(self._journal))
                    self.available = False
                    self._retry_at = self._monotonic() + self._retry_seconds
                    return  # kept: applied in order once Redis answers again
                self._journal.popleft()
                self.applied += 1
                if not self.available:
                    self.available = True
                    log.info("dispatch_state_available", pending=len(self._journal))
                if shared != command.result:
                    self.conflicts += 1
                    log.warning("dispatch_state_conflict", command=command.name)
