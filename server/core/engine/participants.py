"""Customers coming and going: a dropped connection, the grace period, abandonment, and a
call that broke together with the chat link."""

from __future__ import annotations

from ..case import Case
from ..events import CustomerConnection, CustomerLost, OfferWithdrawn
from ..history import CallFailed, CustomerDropped
from .base import EngineBase, Outcome, S


class Participants(EngineBase):
    def _expire_customers(self, now: float) -> None:
        for case_id, memo in list(self._memo.items()):
            lost, until = memo.customer_lost_at, memo.customer_grace_until
            if lost is not None and until is not None and now >= until:
                memo.customer_lost_at = None
                memo.customer_grace_until = None
                self._customer_lost(self.case(case_id), lost)

    def customer_disconnected(self, case_id: str) -> list[Outcome]:
        case = self.case(case_id)
        if case.state in (S.CREATED, S.QUEUED, S.OFFERED, S.ACTIVE):
            memo = self._memo_of(case_id)
            memo.customer_lost_at = self.clock.now()
            memo.customer_grace_until = memo.customer_lost_at + self.config.customer_grace_seconds
            if case.state is S.ACTIVE and case.agent_id:
                self._emit(CustomerConnection(case_id, case.agent_id, connected=False))
        return self._flush()

    def customer_reconnected(self, case_id: str) -> list[Outcome]:
        case = self.case(case_id)
        memo = self._memo_of(case_id)
        if memo.customer_lost_at is not None:
            memo.customer_lost_at = None
            memo.customer_grace_until = None
            if case.state is S.ACTIVE and case.agent_id:
                self._emit(CustomerConnection(case_id, case.agent_id, connected=True))
            elif case.state is S.QUEUED:
                self._dispatch()  # it was held back while the customer was away
        self._announced.pop(case_id, None)  # announce the position again to the new socket
        return self._flush()

    def _customer_lost(self, case: Case, lost_at: float) -> None:
        now = self.clock.now()
        if case.is_waiting:
            self._abandon(case, "customer_disconnected")
        elif case.state is S.ACTIVE and not case.customer_dropped:
            case.apply(CustomerDropped(now))
            if case.agent_id:
                self._emit(CustomerLost(case.id, case.agent_id))
            self._save(case)
            if _call_broke_with_the_link(case, lost_at, self.config.call_loss_window_seconds):
                # media and chat both gone: the seed's technical-error path (we call back)
                if case.agent_id:
                    self.state.release(case.agent_id, case.id, now)
                self._technical_error(case, "connection_lost")

    def _abandon(self, case: Case, reason: str) -> None:
        now = self.clock.now()
        offer = self.state.withdraw(case.id)
        if offer is not None:
            self._emit(OfferWithdrawn(offer.agent_id, case.id, "customer_left"))
        self.state.dequeue(case.id)
        case.transition(S.ABANDONED, now, reason=reason)
        self._save(case)
        self._finish(case)


def _call_broke_with_the_link(case: Case, lost_at: float, window: float) -> bool:
    return any(
        isinstance(event, CallFailed) and event.at >= lost_at - window
        for event in case.events
    )
