"""Agents as the dispatcher sees them: who they are, what they can take, and whether they are free."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Presence(enum.StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"


@dataclass(frozen=True)
class AgentProfile:
    id: str
    display_name: str
    skills: frozenset[str] = frozenset()
    #: languages the agent serves; empty means any
    languages: frozenset[str] = frozenset()
    max_concurrent: int = 3

    def can_serve(self, skills: frozenset[str], language: str) -> bool:
        if not skills <= self.skills:
            return False
        return not self.languages or language in self.languages


@dataclass(frozen=True)
class AgentStatus:
    """One agent's dispatch state: a value. A change is a new value, made by a command of the
    dispatch state (core/state.py), never an edit in place, so it can live in a shared store."""

    profile: AgentProfile
    presence: Presence = Presence.AWAY
    online: bool = True
    #: when the agent last became free; the longest-idle agent is offered first
    idle_since: float = 0.0
    cases: frozenset[str] = frozenset()
    #: when the agent's connection was lost; their cases go back to the queue after the grace
    lost_at: float | None = None
    #: a grace period longer than the configured one (after a server restart), if any
    lost_grace_until: float | None = None

    def grace_until(self, grace_seconds: float) -> float:
        """When a lost agent's cases go back to the queue."""
        assert self.lost_at is not None
        own = self.lost_at + grace_seconds
        return own if self.lost_grace_until is None else max(own, self.lost_grace_until)

    @property
    def has_capacity(self) -> bool:
        return len(self.cases) < self.profile.max_concurrent

    def ready_for_offer(self) -> bool:
        return self.online and self.presence is Presence.AVAILABLE and self.has_capacity
