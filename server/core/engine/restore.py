"""After a restart or an adoption: taking back live cases a stopped process stored; and
letting go of cases another node adopted."""

from __future__ import annotations

from collections.abc import Iterable

from ..agents import AgentProfile
from ..case import Case
from ..chat import ChatMessage
from ..events import CaseAssigned
from ..notes import Note
from ..state import QueueEntry
from .base import EngineBase, Outcome, S, promise_start


class Restoring(EngineBase):
    def restore(
        self,
        cases: Iterable[Case],
        messages: dict[str, list[ChatMessage]],
        agents: dict[str, AgentProfile],
        grace_seconds: float,
        notes: dict[str, list[Note]] | None = None,
    ) -> list[Outcome]:
        """Take back the live cases a previous process stored, after a restart.

        Nobody is connected yet: every customer and agent gets ``grace_seconds`` to come back
        (customers resume with their token, agents with agent_hello) before the usual rules for
        a lost participant apply. Queued cases keep their place and their promise clock; an
        offer does not survive (its agent is not connected), so the case waits again, first.
        A case that cannot go on (its queue is gone) is closed with the reason.
        """
        now = self.clock.now()
        until = now + grace_seconds
        for case in sorted(cases, key=lambda c: c.created_at):
            if case.is_finished or case.id in self.cases:
                continue
            self.cases[case.id] = case
            for message in messages.get(case.id, ()):
                self.chats.add(message)
            for note in (notes or {}).get(case.id, ()):
                self.notes.add(note)
            if case.queue not in self.rules.queues or case.state is S.CREATED:
                case.close_by_system(now, "not_resumable")
                self._save(case)
                self._finish(case)
                continue
            memo = self._memo_of(case.id)
            memo.customer_lost_at = now
            memo.customer_grace_until = until
            self._save(case)
            if case.state is S.OFFERED:
                case.transition(S.QUEUED, now, reason="server_restarted")
            if case.state is S.QUEUED:
                self.state.enqueue(QueueEntry(case.id, case.queue, case.priority,
                                              case.front_of_queue,
                                              promise_start(case) or case.created_at))
                continue
            profile = agents.get(case.agent_id or "")
            if profile is None:
                if case.state is S.ACTIVE:
                    self._requeue_lost_agent_case(case, case.agent_id or "", now)
                else:
                    case.close_by_system(now, "agent_unknown")
                    self._finish(case)
                continue
            self.state.restore_agent(profile, case.id, now, until)
            if profile.id in self.agents_here:
                # adopted from a stopped node while the agent is already connected here
                self._emit(CaseAssigned(profile.id, self.agent_view(case.id)))
        self._overview = None
        self._dispatch()
        return self._flush()

    def evict(self, case_ids: Iterable[str]) -> list[str]:
        """Another node adopted these cases (this node's lease ran out): forget them here
        without a write, an event or a dispatch command (the adopter holds their state now).
        Returns those that were here."""
        gone: list[str] = []
        for case_id in case_ids:
            case = self.cases.pop(case_id, None)
            if case is None:
                continue
            gone.append(case_id)
            self._announced.pop(case_id, None)
            self._memo.pop(case_id, None)
            self.chats.forget(case_id)
            if self.notes.has(case_id):
                self.notes.forget(case_id)
        self._overview = None
        return gone
