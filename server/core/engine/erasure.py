"""Ending a live case because its customer asked for their data to be erased (GDPR art. 17)."""

from __future__ import annotations

from ..events import CaseClosed, OfferWithdrawn
from .base import EngineBase, Outcome

#: the reason recorded on a case ended for an erasure request
ERASURE_REASON = "erasure_requested"


class Erasure(EngineBase):
    def end_for_erasure(self, case_id: str) -> list[Outcome]:
        """Close a live case with the recorded reason, freeing its queue place, offer or agent, so
        that its rows can be erased; a finished or unknown case is left alone."""
        case = self.cases.get(case_id)
        if case is None or case.is_finished:
            return self._take()
        now = self.clock.now()
        offer = self.state.withdraw(case.id)
        if offer is not None:
            self._emit(OfferWithdrawn(offer.agent_id, case.id, ERASURE_REASON))
        self.state.dequeue(case.id)
        agent_id = case.agent_id
        status = self.state.agent(agent_id) if agent_id else None
        if status is not None and case.id in status.cases:
            self.state.release(status.profile.id, case.id, now)
        case.close_by_system(now, ERASURE_REASON)
        if agent_id and status is not None:
            self._emit(CaseClosed(case.id, agent_id, False))
        self._save(case)
        self._finish(case)
        self._dispatch()
        return self._flush()

    def forget_case(self, case_id: str) -> None:
        """Drop a finished case from memory at once (its rows are about to be erased)."""
        case = self.cases.get(case_id)
        if case is not None and case.is_finished:
            del self.cases[case_id]
