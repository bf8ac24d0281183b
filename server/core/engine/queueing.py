"""Into the queue and the customer's view of it: routing a Help press, positions and ETAs,
and the agents' overview of every queue."""

from __future__ import annotations

import math
from typing import Any

from ..agents import Presence
from ..case import Case
from ..context import CaseContext
from ..errors import QueueFull
from ..events import QueuePosition, QueuesChanged
from ..history import photos_sent
from ..readiness import QueueLoad, Readiness, assess
from ..state import QueueEntry
from .base import Announced, EngineBase, Outcome, S, summary


class Queueing(EngineBase):
    def open_case(
        self,
        context: CaseContext,
        kiosk_id: str | None = None,
    ) -> tuple[Case, list[Outcome]]:
        """A Help press: route, then queue, or take the technical-error path if nobody can serve."""
        now = self.clock.now()
        route = self.rules.route(context)
        if len(self.state.waiting(route.queue)) >= self.config.max_queue_length:
            raise QueueFull(
                f"queue {route.queue} already has {self.config.max_queue_length} waiting cases;"
                " try again shortly"
            )
        case = Case(
            id=self._new_id(),
            store=context.store,
            channel=context.channel,
            context=context.model_dump(mode="json"),
            queue=route.queue,
            skills=route.skills,
            language=context.language,
            first_channel=route.first_channel,
            priority=route.priority,
            created_at=now,
            rule=route.rule,
            kiosk_id=kiosk_id,
            session_id=context.session_id,
        )
        self.cases[case.id] = case
        target = self._first_queue_with_agents(case)
        if target is None:
            self._technical_error(case, "no_service")
            return case, self._flush()
        if target != case.queue:
            self._overflow(case, target, "no_agent_online", now)
        case.transition(S.QUEUED, now, queue=case.queue)
        self.state.enqueue(QueueEntry(case.id, case.queue, case.priority, False, now))
        self._save(case)
        self._dispatch()
        return case, self._flush()

    def availability(self, context: CaseContext) -> bool:
        """Would a Help press with this context be queued now? True when an online agent could
        serve the routed queue or one of its fallbacks; otherwise open_case takes the
        technical-error (callback) path. The widget uses it to avoid promising what nobody keeps."""
        route = self.rules.route(context)
        probe = Case(
            id="availability-probe", store=context.store, channel=context.channel, context={},
            queue=route.queue, skills=route.skills, language=context.language,
            first_channel=route.first_channel, priority=route.priority,
            created_at=self.clock.now(),
        )
        return self._first_queue_with_agents(probe) is not None

    def readiness(self, context: CaseContext) -> Readiness:
        """May the Help button promise an answer for this context now, and if not, what would a
        press get (a queue with an honest estimate, or a callback)? See core/readiness.py."""
        route = self.rules.route(context)
        chain = []
        for name in [route.queue, *self.rules.fallback_chain(route.queue)]:
            skills = self.rules.queues[name].skills | (route.skills if name == route.queue
                                                       else frozenset())
            chain.append(QueueLoad(name, skills, len(self._present(name))))
        return assess(chain, list(self.state.agents()), context.language,
                      self.config.promise_seconds, self.eta.eta)

    def customer_view(self, case_id: str) -> dict[str, Any]:
        """Everything a (re)connecting customer needs to draw the overlay."""
        case = self.case(case_id)
        announced = self._announced.get(case_id)
        queue = self.rules.queues[case.queue]
        return {
            "case_id": case.id,
            "state": case.state.value,
            "queue": case.queue,
            "queue_title": {"sv": queue.title_sv, "en": queue.title_en},
            "position": announced.position if announced else None,
            "eta_seconds": announced.eta if announced else None,
            "promise_seconds": int(self.config.promise_seconds),
            "agent_name": case.agent_name,
            "first_channel": case.first_channel,
            "language": case.language,
            "messages": [m.as_payload() for m in self.chats.of(case.id)],
            "photos": photos_sent(case, for_agent=False),
            "rating": case.rating,
        }

    def _announce(self) -> None:
        """Tell each waiting customer their position and ETA when either has changed."""
        now = self.clock.now()
        for queue in list(self.state.queue_names()):
            for index, entry in enumerate(self._present(queue)):
                case = self.cases.get(entry.case_id)
                if case is None:
                    continue
                position = index + 1
                eta_f = self.eta.eta(queue, position, self._serving(queue, case))
                eta = None if eta_f is None else int(math.ceil(eta_f))
                last = self._announced.get(case.id)
                if last is not None and (last.queue, last.position, last.eta) == (queue, position, eta):
                    continue
                self._announced[case.id] = Announced(queue, position, eta, now)
                title = self.rules.queues[queue]
                self._emit(QueuePosition(case.id, queue, title.title_sv, title.title_en, position,
                                         eta, int(self.config.promise_seconds)))
        overview = self.queue_overview()
        comparable = [(q["name"], q["waiting"], [c["case_id"] for c in q["cases"]],
                       q["away"], q["agents_serving"]) for q in overview["queues"]]
        if comparable != self._overview:
            self._overview = comparable
            self._emit(QueuesChanged(overview))

    def queue_overview(self) -> dict[str, Any]:
        now = self.clock.now()
        queues = []
        for name, definition in self.rules.queues.items():
            waiting = self._present(name)
            cases = []
            for entry in waiting:
                case = self.cases.get(entry.case_id)
                if case is None:
                    continue  # another node's case: counted in ``waiting``, described by its host
                queued = case.first_entered(S.QUEUED) or case.created_at
                cases.append({"case_id": case.id, "waited_seconds": round(now - queued, 1),
                              "state": case.state.value, **summary(case)})
            serving = sum(
                1 for a in self.state.agents()
                if a.online and a.presence is not Presence.AWAY
                and definition.skills <= a.profile.skills
            )
            queues.append({
                "name": name,
                "title": {"sv": definition.title_sv, "en": definition.title_en},
                "waiting": len(waiting),
                #: waiting cases whose customer is disconnected, kept for customer_grace_seconds
                "away": len(self.state.waiting(name)) - len(waiting),
                "longest_wait_seconds": max((c["waited_seconds"] for c in cases), default=0),
                "agents_serving": serving,
                "cases": cases,
            })
        return {"queues": queues, "at": now}
