"""Queue, presence and offer state behind one small interface.

The engine keeps no such state of its own: a later step can put it in Redis and share it
between server processes without touching the routing rules or the case machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .agents import AgentStatus


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
        return (0 if self.front else 1, -self.priority, self.enqueued_at)


class DispatchState(Protocol):
    # queues
    def enqueue(self, entry: QueueEntry) -> None: ...
    def dequeue(self, case_id: str) -> QueueEntry | None: ...
    def entry(self, case_id: str) -> QueueEntry | None: ...
    def waiting(self, queue: str) -> list[QueueEntry]: ...
    def queue_names(self) -> Iterable[str]: ...
    # agents
    def put_agent(self, status: AgentStatus) -> None: ...
    def agent(self, agent_id: str) -> AgentStatus | None: ...
    def agents(self) -> Iterable[AgentStatus]: ...
    # offers
    def put_offer(self, offer: Offer) -> None: ...
    def take_offer(self, case_id: str) -> Offer | None: ...
    def offer_for_case(self, case_id: str) -> Offer | None: ...
    def offer_for_agent(self, agent_id: str) -> Offer | None: ...
    def offers(self) -> Iterable[Offer]: ...


class MemoryDispatchState:
    """The single-process implementation."""

    def __init__(self) -> None:
        self._queues: dict[str, dict[str, QueueEntry]] = {}
        self._entries: dict[str, QueueEntry] = {}
        self._agents: dict[str, AgentStatus] = {}
        self._offers: dict[str, Offer] = {}

    def enqueue(self, entry: QueueEntry) -> None:
        self.dequeue(entry.case_id)
        self._queues.setdefault(entry.queue, {})[entry.case_id] = entry
        self._entries[entry.case_id] = entry

    def dequeue(self, case_id: str) -> QueueEntry | None:
        entry = self._entries.pop(case_id, None)
        if entry is not None:
            self._queues[entry.queue].pop(case_id, None)
        return entry

    def entry(self, case_id: str) -> QueueEntry | None:
        return self._entries.get(case_id)

    def waiting(self, queue: str) -> list[QueueEntry]:
        return sorted(self._queues.get(queue, {}).values(), key=lambda e: e.order)

    def queue_names(self) -> Iterable[str]:
        return list(self._queues)

    def put_agent(self, status: AgentStatus) -> None:
        self._agents[status.profile.id] = status

    def agent(self, agent_id: str) -> AgentStatus | None:
        return self._agents.get(agent_id)

    def agents(self) -> Iterable[AgentStatus]:
        return list(self._agents.values())

    def put_offer(self, offer: Offer) -> None:
        self._offers[offer.case_id] = offer

    def take_offer(self, case_id: str) -> Offer | None:
        return self._offers.pop(case_id, None)

    def offer_for_case(self, case_id: str) -> Offer | None:
        return self._offers.get(case_id)

    def offer_for_agent(self, agent_id: str) -> Offer | None:
        for offer in self._offers.values():
            if offer.agent_id == agent_id:
                return offer
        return None

    def offers(self) -> Iterable[Offer]:
        return list(self._offers.values())
