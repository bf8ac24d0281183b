"""Can the Help button promise an answer now? The one place that decides, without any I/O.

The widget must never promise "Svar inom 60 sek" that nobody keeps. For one queue this looks at
the agents who could serve the case (online, with the skills and the language) and sorts the
answer into one verdict:

* ``promise``: an agent is ``available`` with capacity and the customer would be offered at once
  (or the estimate is within the promise): the button may promise;
* ``queue``: agents who can serve are signed in but busy or full: a Help press queues with an
  honest estimate, and the button says so instead of promising;
* ``callback``: nobody who can serve is signed in, or all of them are away: a press could only
  wait without an estimate, so the widget offers a callback.

The reason says which (``all_agents_busy``, ``all_agents_away``, ``no_skilled_agent``,
``no_agent_online``) so support and the shop owner can see why the button says what it says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .agents import AgentStatus, Presence

Verdict = Literal["promise", "queue", "callback"]
ReadinessReason = Literal[
    "ok", "all_agents_busy", "all_agents_away", "no_skilled_agent", "no_agent_online"
]
_RANK: dict[Verdict, int] = {"promise": 0, "queue": 1, "callback": 2}


@dataclass(frozen=True)
class Readiness:
    verdict: Verdict
    reason: ReadinessReason
    #: the queue a press would wait in (None when nobody can serve)
    queue: str | None = None
    #: the honest estimate for a press now, whole seconds (None when nobody would answer)
    eta_seconds: int | None = None


@dataclass(frozen=True)
class QueueLoad:
    """What one queue looks like to a new case: who could serve it and how many wait already."""

    name: str
    skills: frozenset[str]
    #: connected customers already waiting in it
    waiting: int


def assess_queue(
    load: QueueLoad,
    agents: Iterable[AgentStatus],
    language: str,
    promise_seconds: float,
    eta: Callable[[str, int, int], float | None],
) -> Readiness:
    """The verdict for a press that would wait in this queue."""
    every = [a for a in agents if a.online]
    able = [a for a in every if a.profile.can_serve(load.skills, language)]
    if not every:
        return Readiness("callback", "no_agent_online")
    if not able:
        return Readiness("callback", "no_skilled_agent")
    serving = [a for a in able if a.presence is not Presence.AWAY]
    if not serving:
        return Readiness("callback", "all_agents_away")
    ready = sum(1 for a in serving if a.ready_for_offer())
    position = load.waiting + 1
    estimate = eta(load.name, position, len(serving))
    eta_seconds = None if estimate is None else int(math.ceil(estimate))
    if ready and (position <= ready or (estimate is not None and estimate <= promise_seconds)):
        return Readiness("promise", "ok", load.name, 0 if position <= ready else eta_seconds)
    return Readiness("queue", "all_agents_busy", load.name, eta_seconds)


def assess(
    chain: Sequence[QueueLoad],
    agents: Sequence[AgentStatus],
    language: str,
    promise_seconds: float,
    eta: Callable[[str, int, int], float | None],
) -> Readiness:
    """The best verdict over the routed queue and its fallbacks (the routed queue wins a tie).

    A callback's reason is the routed queue's own, since that is what the customer asked for.
    """
    if not chain:
        raise ValueError("a route has at least one queue")
    verdicts = [assess_queue(load, agents, language, promise_seconds, eta) for load in chain]
    best = verdicts[0]
    for candidate in verdicts[1:]:
        if _RANK[candidate.verdict] < _RANK[best.verdict]:
            best = candidate
    return best
