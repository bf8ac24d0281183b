"""Keeping the 60-second promise: overflow to a fallback queue that can answer in time, a
callback offer before the deadline, and the technical-error path when nobody can serve."""

from __future__ import annotations

import math

from ..case import Case
from ..effects import SaveCallback
from ..errors import InvalidTransition
from ..events import CallbackConfirmed, CallbackOffered, OfferWithdrawn, TechnicalError
from ..history import CallbackSuggested
from ..state import QueueEntry
from .base import EngineBase, Outcome, S, promise_start


class PromiseKeeping(EngineBase):
    def _keep_promise(self, case: Case, now: float) -> None:
        queued = promise_start(case)
        if queued is None:
            return
        deadline = queued + self.config.promise_seconds
        act_by = deadline - self.config.promise_guard_seconds
        predicted = self._predicted_answer(case, now)
        if predicted <= act_by and now < act_by:
            return
        if not case.overflowed:
            for fallback in self.rules.fallback_chain(case.queue):
                serving = self._serving(fallback, case)
                position = len(self.state.waiting(fallback)) + 1
                eta = self.eta.eta(fallback, position, serving)
                if eta is not None and now + eta <= deadline:
                    self.state.dequeue(case.id)
                    self._overflow(case, fallback, "promise_at_risk", now)
                    self.state.enqueue(QueueEntry(case.id, fallback, case.priority,
                                                  case.front_of_queue, queued))
                    self._memo_of(case.id).declined_by.clear()
                    self._save(case)
                    return
        if not case.callback_offered:
            case.apply(CallbackSuggested(now, reason="promise_at_risk"))
            self._emit(CallbackOffered(case.id, "promise_at_risk"))
            self._save(case)

    def _predicted_answer(self, case: Case, now: float) -> float:
        announced = self._announced.get(case.id)
        if announced is None or announced.eta is None:
            position = self._position(case)
            eta = self.eta.eta(case.queue, position, self._serving(case.queue, case))
            return math.inf if eta is None else now + eta
        return announced.at + announced.eta

    def _technical_error(self, case: Case, reason: str) -> None:
        now = self.clock.now()
        self.state.dequeue(case.id)
        case.transition(S.CALLBACK_REQUESTED, now, reason=reason)
        self._save(case)  # the case row must exist before its callback request
        cart = dict(case.context.get("cart") or {})
        self._emit(
            SaveCallback(case.id, now, reason, None, cart, now + self.config.cart_hold_seconds)
        )
        self._emit(TechnicalError(case.id, reason, int(self.config.cart_hold_seconds)))
        self._finish(case)

    def request_callback(self, case_id: str, contact: str | None) -> list[Outcome]:
        case = self.case(case_id)
        if not case.is_waiting:
            raise InvalidTransition(case.id, case.state.value, S.CALLBACK_REQUESTED.value)
        now = self.clock.now()
        offer = self.state.withdraw(case.id)
        if offer is not None:
            self._emit(OfferWithdrawn(offer.agent_id, case.id, "callback_requested"))
        self.state.dequeue(case.id)
        case.transition(S.CALLBACK_REQUESTED, now, reason="customer_asked")
        self._save(case)
        cart = dict(case.context.get("cart") or {})
        self._emit(SaveCallback(case.id, now, "customer_asked", contact, cart,
                                now + self.config.cart_hold_seconds))
        self._emit(CallbackConfirmed(case.id, int(self.config.cart_hold_seconds)))
        self._finish(case)
        return self._flush()
