"""The supervisor's live board: every open case with its wait against the promise, and the alerts.

Read from the engine's memory at each push (no I/O). A case's wait is counted from where its
promise started (the first queueing, or the re-queueing after a lost agent), as the engine
keeps the promise. Two alerts: a case still waiting past ``promise_seconds``, and a queue with
cases waiting and no agent ready for an offer (online, Available, with capacity and the queue's
skills). A queue with nobody ready but nobody waiting is shown in the queue table, not alerted:
outside busy hours most skilled queues are empty and unmanned, and an alarm that is always on is
not heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.case import Case, CaseState, short_number
from ..core.engine.base import promise_start

if TYPE_CHECKING:
    from ..core.engine import CaseEngine

@dataclass(frozen=True)
class Board:
    cases: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    #: queue name → agents ready for an offer now
    ready: dict[str, int]
    #: the next time (engine clock) a waiting case passes the promise, if any does
    next_deadline: float | None


def _since(case: Case) -> float:
    """When the case entered its current state."""
    return case.entered(case.state) or case.created_at


def board(engine: CaseEngine, promise_seconds: float) -> Board:
    now = engine.clock.now()
    titles = {name: {"sv": q.title_sv, "en": q.title_en} for name, q in engine.rules.queues.items()}
    rows: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    deadlines: list[float] = []
    waiting_in: dict[str, int] = {}
    for case in sorted(engine.live_cases(), key=lambda c: c.created_at):
        started = promise_start(case) if case.is_waiting else None
        waited = now - started if started is not None else None
        over = waited is not None and waited > promise_seconds
        if started is not None:
            waiting_in[case.queue] = waiting_in.get(case.queue, 0) + 1
            if not over:
                deadlines.append(started + promise_seconds)
        number = short_number(case.id)
        rows.append({
            "id": case.id, "number": number, "queue": case.queue,
            "queue_title": titles.get(case.queue, {"sv": case.queue, "en": case.queue}),
            "state": case.state.value, "store": case.store, "channel": case.channel,
            "language": case.language, "agent_name": case.agent_name,
            "created_at": case.created_at, "state_since": _since(case),
            "waited_seconds": round(waited, 1) if waited is not None else None,
            "over_promise": over, "customer_dropped": case.customer_dropped,
        })
        if over and waited is not None:
            alerts.append({"kind": "over_promise", "case_id": case.id, "number": number,
                           "queue": case.queue, "queue_title": rows[-1]["queue_title"],
                           "waited_seconds": round(waited, 1)})
    ready: dict[str, int] = {}
    statuses = [s for s in engine.state.agents() if s.ready_for_offer()]
    for name, queue in engine.rules.queues.items():
        ready[name] = sum(1 for s in statuses if queue.skills <= s.profile.skills)
        if ready[name] == 0 and waiting_in.get(name, 0) > 0:
            alerts.append({"kind": "no_agent", "queue": name, "queue_title": titles[name],
                           "waiting": waiting_in[name]})
    return Board(rows, alerts, ready, min(deadlines, default=None))


#: the states a live case can be in (the filter's choices)
LIVE_STATES = tuple(s.value for s in (CaseState.CREATED, CaseState.QUEUED, CaseState.OFFERED,
                                      CaseState.ACTIVE, CaseState.WRAP_UP))
