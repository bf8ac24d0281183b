"""Queue, presence and offer state as commands over immutable values.

The engine never edits shared state in place: it reads values (``AgentStatus``, ``QueueEntry``,
``Offer``, all frozen) and changes them only through the commands below, each of which checks
its own precondition and returns the new value (or ``None`` when it was refused). That is what
lets the same decisions run against a store shared by several server processes (Redis,
server/cluster/), where each command is one atomic script: a command refused there was beaten
by another node, never half applied.

``DispatchState`` is what the pure core calls (synchronous); ``MemoryDispatchState`` is the
embedded implementation and also the reference semantics every other implementation must match
(tests/cluster/test_dispatch_contract.py runs one suite against all of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from .agents import AgentProfile, AgentStatus, Presence


@dataclass(frozen=True)
class Offer:
    case_id: str
    agent_id: str
    offered_at: float
    expires_at: float


@dataclass(frozen=True)
class QueueEntry:
    case_id: str
    queue: str
    priority: int
    front: bool
    enqueued_at: float

    @property
    def order(self) -> tuple[int, int, float]:
        """Front first, then priority, then time; ties keep the order they were enqueued in."""
        return (0 if self.front else 1, -self.priority, self.enqueued_at)


@dataclass(frozen=True)
class Expiry:
    """An offer that ran out, and its agent afterwards (set away if they were available)."""

    offer: Offer
    agent: AgentStatus | None
    set_away: bool


@dataclass(frozen=True)
class Overruled:
    """A command this node decided on its view whose shared result differed (another node
    changed the shared state in between): the view already holds the shared truth, and the
    engine decides again from there (``CaseEngine.overruled``)."""

    command: str
    args: tuple[Any, ...]
    local: Any
    shared: Any


class DispatchReads(Protocol):
    def entry(self, case_id: str) -> QueueEntry | None: ...
    def waiting(self, queue: str) -> list[QueueEntry]: ...
    def queue_names(self) -> Iterable[str]: ...
    def agent(self, agent_id: str) -> AgentStatus | None: ...
    def agents(self) -> Iterable[AgentStatus]: ...
    def offer_for_case(self, case_id: str) -> Offer | None: ...
    def offer_for_agent(self, agent_id: str) -> Offer | None: ...
    def offers(self) -> Iterable[Offer]: ...


class DispatchState(DispatchReads, Protocol):
    """Reads and commands. Every command is atomic and returns the new value or None (refused)."""

    # queues
    def enqueue(self, entry: QueueEntry) -> QueueEntry: ...
    def dequeue(self, case_id: str) -> QueueEntry | None: ...
    # agents
    def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus: ...
    def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None: ...
    def set_presence(self, agent_id: str, presence: Presence, now: float) -> AgentStatus | None: ...
    def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None: ...
    def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None: ...
    def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                      grace_until: float) -> AgentStatus: ...
    # offers
    def offer(self, offer: Offer) -> Offer | None: ...
    def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None: ...
    def decline(self, case_id: str, agent_id: str) -> Offer | None: ...
    def withdraw(self, case_id: str) -> Offer | None: ...
    def expire(self, case_id: str, now: float) -> Expiry | None: ...


class MemoryDispatchState:
    """The single-process implementation, and the reference semantics of every command."""

    def __init__(self) -> None:
        self._queues: dict[str, dict[str, QueueEntry]] = {}
        self._entries: dict[str, QueueEntry] = {}
        self._agents: dict[str, AgentStatus] = {}
        self._offers: dict[str, Offer] = {}
        self._agent_offers: dict[str, str] = {}

    # ------------------------------------------------------------------ reads

    def entry(self, case_id: str) -> QueueEntry | None:
        return self._entries.get(case_id)

    def waiting(self, queue: str) -> list[QueueEntry]:
        return sorted(self._queues.get(queue, {}).values(), key=lambda e: e.order)

    def queue_names(self) -> Iterable[str]:
        return list(self._queues)

    def agent(self, agent_id: str) -> AgentStatus | None:
        return self._agents.get(agent_id)

    def agents(self) -> Iterable[AgentStatus]:
        return list(self._agents.values())

    def offer_for_case(self, case_id: str) -> Offer | None:
        return self._offers.get(case_id)

    def offer_for_agent(self, agent_id: str) -> Offer | None:
        case_id = self._agent_offers.get(agent_id)
        return None if case_id is None else self._offers.get(case_id)

    def offers(self) -> Iterable[Offer]:
        return list(self._offers.values())

    # ------------------------------------------------------------------ queues

    def enqueue(self, entry: QueueEntry) -> QueueEntry:
        """Put the case in its queue (in its new place, if it was waiting elsewhere)."""
        self.dequeue(entry.case_id)
        self._queues.setdefault(entry.queue, {})[entry.case_id] = entry
        self._entries[entry.case_id] = entry
        return entry

    def dequeue(self, case_id: str) -> QueueEntry | None:
        entry = self._entries.pop(case_id, None)
        if entry is not None:
            self._queues[entry.queue].pop(case_id, None)
        return entry

    # ------------------------------------------------------------------ agents

    def _put(self, status: AgentStatus) -> AgentStatus:
        self._agents[status.profile.id] = status
        return status

    def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus:
        """Sign-in (a fresh, away status) or a reconnect within the grace (presence and cases
        kept). The profile is the one given: a reconnect, or an online agent connected again after
        an admin changed their skills or capacity, brings the new one."""
        status = self._agents.get(profile.id)
        if status is None or (not status.online and status.lost_at is None):
            status = AgentStatus(profile=profile, presence=Presence.AWAY, idle_since=now)
        return self._put(replace(status, profile=profile, online=True, lost_at=None,
                                 lost_grace_until=None))

    def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None:
        """The agent's connection is gone; with cases, their grace period starts now."""
        status = self._agents.get(agent_id)
        if status is None:
            return None
        return self._put(replace(status, online=False, lost_at=now if status.cases else None))

    def set_presence(self, agent_id: str, presence: Presence, now: float) -> AgentStatus | None:
        """Becoming available without a case makes the agent idle from now (longest idle first)."""
        status = self._agents.get(agent_id)
        if status is None:
            return None
        idle_since = status.idle_since
        if presence is Presence.AVAILABLE and status.presence is not Presence.AVAILABLE \
                and not status.cases:
            idle_since = now
        return self._put(replace(status, presence=presence, idle_since=idle_since))

    def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None:
        """The case is no longer the agent's; with none left they are idle from now."""
        status = self._agents.get(agent_id)
        if status is None:
            return None
        cases = status.cases - {case_id}
        return self._put(replace(status, cases=cases,
                                 idle_since=now if not cases else status.idle_since))

    def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None:
        """The grace period of a lost agent is over: ``drop`` (their live cases) leave them."""
        status = self._agents.get(agent_id)
        if status is None:
            return None
        return self._put(replace(status, cases=status.cases - drop, lost_at=None,
                                 lost_grace_until=None))

    def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                      grace_until: float) -> AgentStatus:
        """After a restart: the case is the (not yet reconnected) agent's again."""
        status = self._agents.get(profile.id)
        if status is None:
            status = AgentStatus(profile=profile, presence=Presence.AWAY, online=False,
                                 idle_since=now, lost_at=now, lost_grace_until=grace_until)
        return self._put(replace(status, cases=status.cases | {case_id}))

    # ------------------------------------------------------------------ offers

    def offer(self, offer: Offer) -> Offer | None:
        """Ring the agent for the case: only a waiting case without an offer, only an agent who
        is ready (online, available, below capacity) and not already ringing."""
        status = self._agents.get(offer.agent_id)
        if (offer.case_id not in self._entries or offer.case_id in self._offers
                or status is None or not status.ready_for_offer()
                or offer.agent_id in self._agent_offers):
            return None
        self._offers[offer.case_id] = offer
        self._agent_offers[offer.agent_id] = offer.case_id
        return offer

    def _take(self, case_id: str) -> Offer | None:
        offer = self._offers.pop(case_id, None)
        if offer is not None:
            self._agent_offers.pop(offer.agent_id, None)
        return offer

    def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None:
        """The agent takes the case: the open, unexpired offer to them ends, the case leaves
        the queue and becomes one of theirs."""
        offer = self._offers.get(case_id)
        status = self._agents.get(agent_id)
        if offer is None or offer.agent_id != agent_id or offer.expires_at <= now or status is None:
            return None
        self._take(case_id)
        self.dequeue(case_id)
        return self._put(replace(status, cases=status.cases | {case_id}))

    def decline(self, case_id: str, agent_id: str) -> Offer | None:
        offer = self._offers.get(case_id)
        if offer is None or offer.agent_id != agent_id:
            return None
        return self._take(case_id)

    def withdraw(self, case_id: str) -> Offer | None:
        return self._take(case_id)

    def expire(self, case_id: str, now: float) -> Expiry | None:
        """An offer that ran out ends; an agent who let it lapse is probably not at the desk."""
        offer = self._offers.get(case_id)
        if offer is None or offer.expires_at > now:
            return None
        self._take(case_id)
        status = self._agents.get(offer.agent_id)
        set_away = status is not None and status.presence is Presence.AVAILABLE
        if status is not None and set_away:
            status = self._put(replace(status, presence=Presence.AWAY))
        return Expiry(offer, status, set_away)

    # ------------------------------------------------------------------ the shared truth

    def adopt_agent(self, agent_id: str, status: AgentStatus | None) -> None:
        """Take the shared state's value as it is (None: gone). No precondition: the shared
        state checked it when the command ran (on this node or another)."""
        if status is None:
            self._agents.pop(agent_id, None)
        else:
            self._agents[agent_id] = status

    def adopt_entry(self, case_id: str, entry: QueueEntry | None) -> None:
        self.dequeue(case_id)
        if entry is not None:
            self.enqueue(entry)

    def adopt_offer(self, case_id: str, offer: Offer | None) -> None:
        self._take(case_id)
        if offer is not None:
            self._offers[case_id] = offer
            self._agent_offers[offer.agent_id] = case_id
