"""Handing a case on and writing notes the customer never sees.

A transfer takes the case from its agent and puts it first in a queue (the receiving one, or its
own when a colleague is named), its promise clock still running from the first queueing. To a
named colleague, only they are offered it; if they decline, let the offer lapse or go away, the
reservation ends, the sender is told, and the case is offered to the next agent who can serve it
(the sender last: they had their go). A note written with the transfer travels with it: it is in
the receiver's offer and in the case's view for whoever answers.
"""

from __future__ import annotations

from ..agents import Presence
from ..case import Case
from ..errors import InvalidTransition, TransferTargetUnavailable, UnknownQueue
from ..events import CaseTransferred, NoteShared
from ..history import Transferred
from ..notes import Note
from ..state import QueueEntry
from .base import EngineBase, Outcome, S, promise_start


class Transfer(EngineBase):
    def transfer(self, agent_id: str, case_id: str, *, to_agent: str | None = None,
                 to_queue: str | None = None, note: str | None = None) -> list[Outcome]:
        """Hand an active case to a colleague (``to_agent``) or a queue (``to_queue``)."""
        if (to_agent is None) == (to_queue is None):
            raise ValueError("name either a colleague or a queue")
        case = self._own(agent_id, case_id)
        if case.state is not S.ACTIVE:
            raise InvalidTransition(case.id, case.state.value, "transferred")
        now = self.clock.now()
        queue = case.queue
        target_name: str | None = None
        if to_queue is not None:
            if to_queue not in self.rules.queues:
                raise UnknownQueue(
                    f"there is no queue {to_queue!r}; use one of: {', '.join(self.rules.queues)}")
            queue = to_queue
            skills = self.rules.queues[queue].skills
            probe_skills = skills
            others = [a for a in self.state.agents()
                      if a.profile.id != agent_id and a.online
                      and a.presence is not Presence.AWAY
                      and a.profile.can_serve(probe_skills, case.language)]
            if not others:
                raise TransferTargetUnavailable(
                    f"nobody else who serves queue {queue!r} is signed in and not away")
        else:
            assert to_agent is not None
            skills = case.skills
            self._check_colleague(agent_id, to_agent, case)
            status = self.state.agent(to_agent)
            assert status is not None
            target_name = status.profile.display_name
        sender = self._agent(agent_id)
        note_id = None
        if note:
            note_id = self._add_note(case, sender.profile.id, sender.profile.display_name,
                                     "transfer", note, now).id
        case.apply(Transferred(now, S.ACTIVE, agent_id=agent_id, to_queue=queue,
                               skills=tuple(sorted(skills)), to_agent=to_agent,
                               to_agent_name=target_name, note_id=note_id))
        self.state.release(agent_id, case.id, now)
        # the sender had their go; the receiving colleague must not count as having declined
        memo = self._memo_of(case.id)
        memo.declined_by = {agent_id}
        self.state.enqueue(QueueEntry(case.id, case.queue, case.priority, True,
                                      promise_start(case) or case.created_at))
        title = self.rules.queues[case.queue]
        self._emit(CaseTransferred(case.id, agent_id, target_name, case.queue, title.title_sv,
                                   title.title_en))
        self._save(case)
        self._overview = None
        self._dispatch()
        return self._flush()

    def _check_colleague(self, agent_id: str, to_agent: str, case: Case) -> None:
        if to_agent == agent_id:
            raise TransferTargetUnavailable("the case is yours already; name a colleague")
        status = self.state.agent(to_agent)
        if status is None or not status.online:
            raise TransferTargetUnavailable("that colleague is not signed in")
        if not status.ready_for_offer():
            reason = ("at capacity" if status.presence is Presence.AVAILABLE
                      else f"{status.presence.value}")
            raise TransferTargetUnavailable(f"that colleague is not available ({reason})")
        if self.state.offer_for_agent(to_agent) is not None:
            raise TransferTargetUnavailable("that colleague is answering another offer right now")
        if not status.profile.can_serve(case.skills, case.language):
            raise TransferTargetUnavailable(
                "that colleague lacks the skills or the language this case needs")

    def add_note(self, agent_id: str, case_id: str, text: str) -> tuple[Note, list[Outcome]]:
        """An internal note on an active or wrapping-up case, by its agent."""
        case = self._own(agent_id, case_id)
        if case.state not in (S.ACTIVE, S.WRAP_UP):
            raise InvalidTransition(case.id, case.state.value, "note")
        status = self._agent(agent_id)
        now = self.clock.now()
        note = self._add_note(case, agent_id, status.profile.display_name, "internal", text, now)
        self._emit(NoteShared(agent_id, note))
        self._save(case)
        return note, self._take()
