"""The dispatch-state commands as an asynchronous port: what a shared implementation offers.

The same commands and reads as ``core.state.DispatchState``, awaited. ``AsyncMemoryDispatchState``
is the in-memory reference behind this port, so one contract suite runs against every
implementation (tests/cluster/test_dispatch_contract.py).

``apply`` runs a command by name under an id (the node id and a sequence number): a repeat of an
id within ``applied_ttl_seconds`` answers the first result and changes nothing, so a command
retried after its reply was lost with the connection is applied once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core.agents import AgentProfile, AgentStatus, Presence
from ..core.state import Expiry, MemoryDispatchState, Offer, QueueEntry


@dataclass(frozen=True)
class Effect:
    """The values a command touched, as they are after it (None: gone): what a node's view
    takes from the shared state, for its own commands and, through the feed, for others'."""

    agents: dict[str, AgentStatus | None] = field(default_factory=dict)
    entries: dict[str, QueueEntry | None] = field(default_factory=dict)
    offers: dict[str, Offer | None] = field(default_factory=dict)
    #: the shared state's epoch when the command ran (a new one: the state had been lost)
    epoch: str = ""


@dataclass(frozen=True)
class Applied:
    """A command's result, the revision it was applied at and its effect (None: not known)."""

    result: Any
    revision: int
    effect: Effect | None


class AsyncDispatchState(Protocol):
    # reads
    async def entry(self, case_id: str) -> QueueEntry | None: ...
    async def waiting(self, queue: str) -> list[QueueEntry]: ...
    async def queue_names(self) -> list[str]: ...
    async def agent(self, agent_id: str) -> AgentStatus | None: ...
    async def agents(self) -> list[AgentStatus]: ...
    async def offer_for_case(self, case_id: str) -> Offer | None: ...
    async def offer_for_agent(self, agent_id: str) -> Offer | None: ...
    async def offers(self) -> list[Offer]: ...
    # commands
    async def enqueue(self, entry: QueueEntry) -> QueueEntry: ...
    async def dequeue(self, case_id: str) -> QueueEntry | None: ...
    async def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus: ...
    async def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None: ...
    async def set_presence(self, agent_id: str, presence: Presence,
                           now: float) -> AgentStatus | None: ...
    async def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None: ...
    async def settle_lost_agent(self, agent_id: str,
                                drop: frozenset[str]) -> AgentStatus | None: ...
    async def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                            grace_until: float) -> AgentStatus: ...
    async def offer(self, offer: Offer) -> Offer | None: ...
    async def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None: ...
    async def decline(self, case_id: str, agent_id: str) -> Offer | None: ...
    async def withdraw(self, case_id: str) -> Offer | None: ...
    async def expire(self, case_id: str, now: float) -> Expiry | None: ...
    async def apply(self, name: str, args: tuple[Any, ...], command_id: str = "") -> Applied: ...
    # the whole state
    async def reset(self) -> None: ...
    async def close(self) -> None: ...


class AsyncMemoryDispatchState:
    """The in-memory implementation behind the asynchronous port (one process only)."""

    def __init__(self, state: MemoryDispatchState | None = None, applied_ttl_seconds: float = 300,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.state = state if state is not None else MemoryDispatchState()
        self._ttl = applied_ttl_seconds
        self._monotonic = monotonic
        #: command id -> (when it is forgotten, what it answered), oldest first
        self._applied: OrderedDict[str, tuple[float, Applied]] = OrderedDict()
        self._revision = 0

    async def apply(self, name: str, args: tuple[Any, ...], command_id: str = "") -> Applied:
        now = self._monotonic()
        while self._applied and next(iter(self._applied.values()))[0] <= now:
            self._applied.popitem(last=False)
        if command_id and command_id in self._applied:
            return self._applied[command_id][1]
        self._revision += 1
        applied = Applied(await getattr(self, name)(*args), self._revision, None)
        if command_id:
            self._applied[command_id] = (now + self._ttl, applied)
        return applied

    async def entry(self, case_id: str) -> QueueEntry | None:
        return self.state.entry(case_id)

    async def waiting(self, queue: str) -> list[QueueEntry]:
        return self.state.waiting(queue)

    async def queue_names(self) -> list[str]:
        return list(self.state.queue_names())

    async def agent(self, agent_id: str) -> AgentStatus | None:
        return self.state.agent(agent_id)

    async def agents(self) -> list[AgentStatus]:
        return list(self.state.agents())

    async def offer_for_case(self, case_id: str) -> Offer | None:
        return self.state.offer_for_case(case_id)

    async def offer_for_agent(self, agent_id: str) -> Offer | None:
        return self.state.offer_for_agent(agent_id)

    async def offers(self) -> list[Offer]:
        return list(self.state.offers())

    async def enqueue(self, entry: QueueEntry) -> QueueEntry:
        return self.state.enqueue(entry)

    async def dequeue(self, case_id: str) -> QueueEntry | None:
        return self.state.dequeue(case_id)

    async def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus:
        return self.state.connect_agent(profile, now)

    async def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None:
        return self.state.disconnect_agent(agent_id, now)

    async def set_presence(self, agent_id: str, presence: Presence,
                           now: float) -> AgentStatus | None:
        return self.state.set_presence(agent_id, presence, now)

    async def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None:
        return self.state.release(agent_id, case_id, now)

    async def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None:
        return self.state.settle_lost_agent(agent_id, drop)

    async def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                            grace_until: float) -> AgentStatus:
        return self.state.restore_agent(profile, case_id, now, grace_until)

    async def offer(self, offer: Offer) -> Offer | None:
        return self.state.offer(offer)

    async def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None:
        return self.state.accept(case_id, agent_id, now)

    async def decline(self, case_id: str, agent_id: str) -> Offer | None:
        return self.state.decline(case_id, agent_id)

    async def withdraw(self, case_id: str) -> Offer | None:
        return self.state.withdraw(case_id)

    async def expire(self, case_id: str, now: float) -> Expiry | None:
        return self.state.expire(case_id, now)

    async def reset(self) -> None:
        self.state = MemoryDispatchState()
        self._applied.clear()

    async def close(self) -> None:
        pass
