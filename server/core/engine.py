"""The case engine: routing, queueing, offering and chatting, decided without any I/O.

Adapters call one method per incoming fact (a Help press, an accept, a tick of the clock)
and carry out the effects it returns. Time comes from the injected clock only.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .agents import AgentProfile, AgentStatus, Presence
from .case import Case, CaseState
from .chat import ChatHistory, ChatMessage
from .clock import Clock
from .context import CaseContext
from .effects import (
    Effect,
    ForgetCase,
    KeepTranscript,
    SaveCallback,
    SaveCase,
    ToAgent,
    ToAllAgents,
    ToCustomer,
)
from .errors import (
    AgentNotFound,
    CaseNotFound,
    FeedbackNotAllowed,
    InvalidTransition,
    NotYourCase,
    OfferNotFound,
    QueueFull,
    UnknownLabel,
)
from .eta import EwmaEstimator
from .routing import RuleSet
from .state import DispatchState, MemoryDispatchState, Offer, QueueEntry

S = CaseState


@dataclass(frozen=True)
class EngineConfig:
    promise_seconds: float = 60.0
    #: act (overflow or offer a callback) this long before the promise would be broken
    promise_guard_seconds: float = 10.0
    offer_timeout_seconds: float = 20.0
    max_queue_length: int = 200
    customer_grace_seconds: float = 30.0
    agent_grace_seconds: float = 10.0
    cart_hold_seconds: float = 300.0
    eta_prior_seconds: float = 20.0
    eta_alpha: float = 0.3
    labels: tuple[str, ...] = ("betalningsfråga", "produkt saknas", "tekniskt fel")
    transcript_retention: bool = False
    feedback_seconds: int = 10
    #: a call that failed this close to the chat link's loss failed with it (a frozen device's
    #: media is noticed a few seconds before its socket)
    call_loss_window_seconds: float = 5.0


@dataclass
class _Announced:
    queue: str
    position: int
    eta: int | None
    at: float


@dataclass
class _Waiting:
    """Per-case dispatch memory that is not part of the stored case."""

    declined_by: set[str] = field(default_factory=set)
    customer_lost_at: float | None = None


class CaseEngine:
    def __init__(
        self,
        config: EngineConfig,
        rules: RuleSet,
        clock: Clock,
        state: DispatchState | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.config = config
        self.rules = rules
        self.clock = clock
        self.state: DispatchState = state if state is not None else MemoryDispatchState()
        self._new_id = new_id
        self.cases: dict[str, Case] = {}
        self.chats = ChatHistory()
        self.eta = EwmaEstimator(config.eta_prior_seconds, config.eta_alpha)
        self._announced: dict[str, _Announced] = {}
        self._memo: dict[str, _Waiting] = {}
        self._overview: object = None
        self._out: list[Effect] = []

    # ------------------------------------------------------------------ helpers

    def _emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def _flush(self) -> list[Effect]:
        self._announce()
        return self._take()

    def _take(self) -> list[Effect]:
        """The effects so far, without re-announcing queues: for steps that change no queue,
        position, ETA or presence (chat, typing, receipts), which are the busiest by far."""
        out, self._out = self._out, []
        return out

    def case(self, case_id: str) -> Case:
        case = self.cases.get(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case

    def _agent(self, agent_id: str) -> AgentStatus:
        status = self.state.agent(agent_id)
        if status is None:
            raise AgentNotFound("this agent is not online; send agent_hello first")
        return status

    def _own(self, agent_id: str, case_id: str) -> Case:
        case = self.case(case_id)
        if case.agent_id != agent_id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        return case

    def _memo_of(self, case_id: str) -> _Waiting:
        return self._memo.setdefault(case_id, _Waiting())

    def _online_for(self, queue: str, case: Case) -> list[AgentStatus]:
        skills = self.rules.queues[queue].skills | (case.skills if queue == case.queue else frozenset())
        return [
            a
            for a in self.state.agents()
            if a.online and a.profile.can_serve(skills, case.language)
        ]

    def _present(self, queue: str) -> list[QueueEntry]:
        """The waiting entries whose customer is connected: what positions, ETAs and the agents'
        overview count. A lost customer keeps their entry (and place) for the grace period but
        is not counted, since nobody would be offered their case until they come back."""
        return [e for e in self.state.waiting(queue) if not self._is_lost(e.case_id)]

    def _is_lost(self, case_id: str) -> bool:
        memo = self._memo.get(case_id)
        return memo is not None and memo.customer_lost_at is not None

    def _serving(self, queue: str, case: Case) -> int:
        return sum(1 for a in self._online_for(queue, case) if a.presence is not Presence.AWAY)

    def _save(self, case: Case) -> None:
        self._emit(SaveCase(case.id))

    # ------------------------------------------------------------------ customer side

    def open_case(
        self,
        context: CaseContext,
        kiosk_id: str | None = None,
    ) -> tuple[Case, list[Effect]]:
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
            case.record("overflow", now, from_queue=case.queue, to_queue=target,
                        reason="no_agent_online")
            self._move_to_queue(case, target)
            case.overflowed = True
        case.transition(S.QUEUED, now, queue=case.queue)
        self.state.enqueue(QueueEntry(case.id, case.queue, case.priority, False, now))
        self._save(case)
        self._dispatch()
        return case, self._flush()

    def _first_queue_with_agents(self, case: Case) -> str | None:
        for queue in [case.queue, *self.rules.fallback_chain(case.queue)]:
            if self._online_for(queue, case):
                return queue
        return None

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

    def _move_to_queue(self, case: Case, queue: str) -> None:
        case.queue = queue
        case.skills = self.rules.queues[queue].skills

    def _technical_error(self, case: Case, reason: str) -> None:
        now = self.clock.now()
        self.state.dequeue(case.id)
        case.transition(S.CALLBACK_REQUESTED, now, reason=reason)
        self._save(case)  # the case row must exist before its callback request
        cart = dict(case.context.get("cart") or {})
        self._emit(
            SaveCallback(case.id, now, reason, None, cart, now + self.config.cart_hold_seconds)
        )
        self._emit(
            ToCustomer(
                case.id,
                "technical_error",
                {"case_id": case.id, "reason": reason,
                 "cart_hold_seconds": int(self.config.cart_hold_seconds)},
            )
        )
        self._finish(case)

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
            "rating": case.rating,
        }

    def customer_disconnected(self, case_id: str) -> list[Effect]:
        case = self.case(case_id)
        if case.state in (S.CREATED, S.QUEUED, S.OFFERED, S.ACTIVE):
            self._memo_of(case_id).customer_lost_at = self.clock.now()
            if case.state is S.ACTIVE and case.agent_id:
                self._emit(ToAgent(case.agent_id, "customer_connection",
                                   {"case_id": case_id, "connected": False}))
        return self._flush()

    def customer_reconnected(self, case_id: str) -> list[Effect]:
        case = self.case(case_id)
        memo = self._memo_of(case_id)
        if memo.customer_lost_at is not None:
            memo.customer_lost_at = None
            if case.state is S.ACTIVE and case.agent_id:
                self._emit(ToAgent(case.agent_id, "customer_connection",
                                   {"case_id": case_id, "connected": True}))
        self._announced.pop(case_id, None)  # announce the position again to the new socket
        return self._flush()

    def cancel(self, case_id: str) -> list[Effect]:
        """The customer closed the overlay for good: abandon a waiting case, end an active one."""
        case = self.case(case_id)
        now = self.clock.now()
        if case.is_waiting:
            self._abandon(case, "customer_cancelled")
        elif case.state is S.ACTIVE:
            case.record("customer_ended", now)
            case.transition(S.WRAP_UP, now, by="customer")
            if case.agent_id:
                self._emit(ToAgent(case.agent_id, "customer_ended", {"case_id": case.id}))
            self._emit(ToCustomer(case.id, "wrap_up",
                                  {"case_id": case.id,
                                   "feedback_seconds": self.config.feedback_seconds}))
            self._save(case)
        else:
            raise InvalidTransition(case.id, case.state.value, "cancelled")
        return self._flush()

    def _abandon(self, case: Case, reason: str) -> None:
        now = self.clock.now()
        offer = self.state.take_offer(case.id)
        if offer is not None:
            self._emit(ToAgent(offer.agent_id, "offer_withdrawn",
                               {"case_id": case.id, "reason": "customer_left"}))
        self.state.dequeue(case.id)
        case.transition(S.ABANDONED, now, reason=reason)
        self._save(case)
        self._finish(case)

    def request_callback(self, case_id: str, contact: str | None) -> list[Effect]:
        case = self.case(case_id)
        if not case.is_waiting:
            raise InvalidTransition(case.id, case.state.value, S.CALLBACK_REQUESTED.value)
        now = self.clock.now()
        offer = self.state.take_offer(case.id)
        if offer is not None:
            self._emit(ToAgent(offer.agent_id, "offer_withdrawn",
                               {"case_id": case.id, "reason": "callback_requested"}))
        self.state.dequeue(case.id)
        case.transition(S.CALLBACK_REQUESTED, now, reason="customer_asked")
        self._save(case)
        cart = dict(case.context.get("cart") or {})
        self._emit(SaveCallback(case.id, now, "customer_asked", contact, cart,
                                now + self.config.cart_hold_seconds))
        self._emit(ToCustomer(case.id, "callback_confirmed",
                              {"case_id": case.id,
                               "cart_hold_seconds": int(self.config.cart_hold_seconds)}))
        self._finish(case)
        return self._flush()

    def feedback(self, case_id: str, rating: int, text: str | None) -> list[Effect]:
        case = self.case(case_id)
        if case.state not in (S.WRAP_UP, S.CLOSED):
            raise FeedbackNotAllowed("feedback can be given once the conversation has ended")
        if case.rating is not None:
            raise FeedbackNotAllowed("feedback for this case has already been given")
        case.rating = rating
        case.feedback_text = text or None
        case.record("feedback", self.clock.now(), rating=rating)
        if case.agent_id and case.state is S.WRAP_UP:
            self._emit(ToAgent(case.agent_id, "feedback", {"case_id": case.id, "rating": rating}))
        self._save(case)
        return self._flush()

    # ------------------------------------------------------------------ chat

    def chat(
        self,
        case_id: str,
        sender: str,
        text: str,
        client_id: str | None = None,
        agent_id: str | None = None,
        quick_reply: str | None = None,
    ) -> tuple[ChatMessage, list[Effect]]:
        case = self.case(case_id)
        if sender == "agent":
            if agent_id is None or case.agent_id != agent_id:
                raise NotYourCase(f"case {case_id} is not assigned to you")
            allowed: tuple[CaseState, ...] = (S.ACTIVE,)
        else:
            # a waiting customer may already type their question; the agent sees it on accept
            allowed = (S.CREATED, S.QUEUED, S.OFFERED, S.ACTIVE)
        if case.state not in allowed:
            raise InvalidTransition(case.id, case.state.value, "chat")
        message = ChatMessage(
            id=self._new_id(), case_id=case.id, sender=sender, text=text,
            at=self.clock.now(), client_id=client_id, quick_reply=quick_reply,
        )
        self.chats.add(message)
        payload = message.as_payload()
        if sender == "agent":
            self._emit(ToCustomer(case.id, "chat_message", payload))
        elif case.state is S.ACTIVE and case.agent_id:
            self._emit(ToAgent(case.agent_id, "chat_message", payload))
        if self.config.transcript_retention:
            self._emit(KeepTranscript(case.id, message.at, sender, text))
        return message, self._take()

    def delivered(self, case_id: str, message_id: str, reader: str,
                  agent_id: str | None = None) -> list[Effect]:
        """The other side's client has the message: tell its sender (a delivery receipt)."""
        case = self.case(case_id)
        if reader == "agent" and case.agent_id != agent_id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        message = next((m for m in self.chats.of(case_id) if m.id == message_id), None)
        if message is None or message.sender == reader:
            return self._take()
        payload = {"case_id": case.id, "message_id": message.id, "client_id": message.client_id}
        if message.sender == "agent" and case.agent_id:
            self._emit(ToAgent(case.agent_id, "chat_delivered", payload))
        elif message.sender == "customer":
            self._emit(ToCustomer(case.id, "chat_delivered", payload))
        return self._take()

    def typing(self, case_id: str, sender: str, active: bool,
               agent_id: str | None = None) -> list[Effect]:
        case = self.case(case_id)
        if sender == "agent" and case.agent_id != agent_id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        if case.state is S.ACTIVE and case.agent_id:
            payload = {"case_id": case.id, "sender": sender, "active": active}
            if sender == "agent":
                self._emit(ToCustomer(case.id, "typing", payload))
            else:
                self._emit(ToAgent(case.agent_id, "typing", payload))
        return self._take()

    # ------------------------------------------------------------------ agent side

    def agent_connected(self, profile: AgentProfile) -> list[Effect]:
        """Sign-in or reconnect. A reconnect within the grace period keeps presence and cases."""
        now = self.clock.now()
        status = self.state.agent(profile.id)
        if status is None or (not status.online and status.lost_at is None):
            status = AgentStatus(profile=profile, presence=Presence.AWAY, idle_since=now)
        status.online = True
        status.lost_at = None
        self.state.put_agent(status)
        self._emit(ToAgent(profile.id, "presence", {"presence": status.presence.value}))
        for case_id in sorted(status.cases):
            self._emit(ToAgent(profile.id, "case_assigned", self.agent_view(case_id)))
        offer = self.state.offer_for_agent(profile.id)
        if offer is not None:
            self._emit(ToAgent(profile.id, "offer", self._offer_payload(offer)))
        self._overview = None
        self._dispatch()
        return self._flush()

    def agent_disconnected(self, agent_id: str) -> list[Effect]:
        status = self.state.agent(agent_id)
        if status is None:
            return []
        now = self.clock.now()
        status.online = False
        status.lost_at = now
        offer = self.state.offer_for_agent(agent_id)
        if offer is not None:
            self._withdraw(offer, "agent_left")
        if not status.cases:
            status.lost_at = None
        self._overview = None
        self._dispatch()
        return self._flush()

    def set_presence(self, agent_id: str, presence: Presence) -> list[Effect]:
        status = self._agent(agent_id)
        now = self.clock.now()
        if presence is Presence.AVAILABLE and status.presence is not Presence.AVAILABLE:
            if not status.cases:
                status.idle_since = now
        status.presence = presence
        if presence is not Presence.AVAILABLE:
            offer = self.state.offer_for_agent(agent_id)
            if offer is not None:
                self._withdraw(offer, "presence_changed")
        self._emit(ToAgent(agent_id, "presence", {"presence": presence.value}))
        self._overview = None
        self._dispatch()
        return self._flush()

    def accept(self, agent_id: str, case_id: str) -> list[Effect]:
        offer = self.state.offer_for_case(case_id)
        now = self.clock.now()
        if offer is None or offer.agent_id != agent_id or offer.expires_at <= now:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        self.state.take_offer(case_id)
        case = self.case(case_id)
        status = self._agent(agent_id)
        first_answer = case.first_entered(S.ACTIVE) is None
        case.transition(S.ACTIVE, now, agent_id=agent_id)
        case.agent_id = agent_id
        case.agent_name = status.profile.display_name
        case.front_of_queue = False
        status.cases.add(case.id)
        self.state.dequeue(case.id)
        if first_answer:
            queued = case.first_entered(S.QUEUED)
            if queued is not None:
                self.eta.observe(case.queue, now - queued)
        self._announced.pop(case.id, None)
        self._emit(ToCustomer(case.id, "agent_joined",
                              {"case_id": case.id, "agent_name": case.agent_name,
                               "first_channel": case.first_channel}))
        self._emit(ToAgent(agent_id, "case_assigned", self.agent_view(case.id)))
        self._save(case)
        self._dispatch()
        return self._flush()

    def decline(self, agent_id: str, case_id: str) -> list[Effect]:
        offer = self.state.offer_for_case(case_id)
        if offer is None or offer.agent_id != agent_id:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        self._withdraw(offer, "declined")
        self._dispatch()
        return self._flush()

    def end_conversation(self, agent_id: str, case_id: str) -> list[Effect]:
        case = self._own(agent_id, case_id)
        now = self.clock.now()
        case.transition(S.WRAP_UP, now, by="agent")
        self._emit(ToCustomer(case.id, "wrap_up",
                              {"case_id": case.id,
                               "feedback_seconds": self.config.feedback_seconds}))
        self._save(case)
        return self._flush()

    def close(self, agent_id: str, case_id: str, label: str, resolved: bool) -> list[Effect]:
        case = self._own(agent_id, case_id)
        if label not in self.config.labels:
            raise UnknownLabel(
                f"label {label!r} is not configured; use one of: {', '.join(self.config.labels)}"
            )
        now = self.clock.now()
        if case.state is S.ACTIVE:
            case.transition(S.WRAP_UP, now, by="agent")
            self._emit(ToCustomer(case.id, "wrap_up",
                                  {"case_id": case.id,
                                   "feedback_seconds": self.config.feedback_seconds}))
        case.transition(S.CLOSED, now, label=label, resolved=resolved)
        case.label = label
        case.resolved = resolved
        status = self.state.agent(agent_id)
        if status is not None:
            status.cases.discard(case.id)
            if not status.cases:
                status.idle_since = now
        self._emit(ToCustomer(case.id, "case_closed", {"case_id": case.id, "resolved": resolved}))
        self._emit(ToAgent(agent_id, "case_closed", {"case_id": case.id}))
        self._save(case)
        self._finish(case)
        self._dispatch()
        return self._flush()

    def agent_view(self, case_id: str) -> dict[str, Any]:
        case = self.case(case_id)
        queue = self.rules.queues[case.queue]
        return {
            "case_id": case.id,
            "state": case.state.value,
            "queue": case.queue,
            "queue_title": {"sv": queue.title_sv, "en": queue.title_en},
            "rule": case.rule,
            "store": case.store,
            "channel": case.channel,
            "kiosk_id": case.kiosk_id,
            "language": case.language,
            "first_channel": case.first_channel,
            "context": case.context,
            "cart_total": round(
                sum(line["unit_price"] * line["quantity"]
                    for line in case.context.get("cart", {}).get("lines", [])), 2),
            "created_at": case.created_at,
            "messages": [m.as_payload() for m in self.chats.of(case.id)],
            "customer_connected": self._memo_of(case.id).customer_lost_at is None,
        }

    # ------------------------------------------------------------------ time

    def tick(self) -> list[Effect]:
        """Apply every timer that has run out: offers, grace periods, the 60-second promise."""
        now = self.clock.now()
        for offer in list(self.state.offers()):
            if offer.expires_at <= now:
                self._withdraw(offer, "timeout")
                status = self.state.agent(offer.agent_id)
                if status is not None and status.presence is Presence.AVAILABLE:
                    # an agent who lets an offer lapse is probably not at the desk
                    status.presence = Presence.AWAY
                    self._emit(ToAgent(offer.agent_id, "presence",
                                       {"presence": "away", "reason": "missed_offer"}))
        for status in list(self.state.agents()):
            if status.lost_at is not None and now - status.lost_at >= self.config.agent_grace_seconds:
                self._agent_lost(status)
        for case_id, memo in list(self._memo.items()):
            lost = memo.customer_lost_at
            if lost is not None and now - lost >= self.config.customer_grace_seconds:
                memo.customer_lost_at = None
                self._customer_lost(self.case(case_id), lost)
        for case in [c for c in self.cases.values() if c.state is S.QUEUED]:
            self._keep_promise(case, now)
        self._dispatch()
        return self._flush()

    def _agent_lost(self, status: AgentStatus) -> None:
        now = self.clock.now()
        status.lost_at = None
        for case_id in sorted(status.cases):
            case = self.case(case_id)
            if case.state is S.ACTIVE:
                case.transition(S.QUEUED, now, reason="agent_lost", agent_id=status.profile.id)
                case.agent_id = None
                case.agent_name = None
                case.front_of_queue = True
                self.state.enqueue(
                    QueueEntry(case.id, case.queue, case.priority, True, now)
                )
                self._emit(ToCustomer(case.id, "agent_lost", {"case_id": case.id}))
                self._save(case)
                if self._first_queue_with_agents(case) is None:
                    # nobody else can take over: the seed's technical-error path (callback)
                    self._technical_error(case, "agent_connection_failed")
            # a case already in wrap-up stays with the agent's record; it is closed later
        status.cases = {c for c in status.cases if self.case(c).state is S.WRAP_UP}
        self._overview = None

    def _customer_lost(self, case: Case, lost_at: float) -> None:
        now = self.clock.now()
        if case.is_waiting:
            self._abandon(case, "customer_disconnected")
        elif case.state is S.ACTIVE and not case.customer_dropped:
            case.customer_dropped = True
            case.record("customer_dropped", now)
            if case.agent_id:
                self._emit(ToAgent(case.agent_id, "customer_left", {"case_id": case.id}))
            self._save(case)
            if _call_broke_with_the_link(case, lost_at, self.config.call_loss_window_seconds):
                # media and chat both gone: the seed's technical-error path (we call back)
                status = self.state.agent(case.agent_id) if case.agent_id else None
                if status is not None:
                    status.cases.discard(case.id)
                    if not status.cases:
                        status.idle_since = now
                self._technical_error(case, "connection_lost")

    def _keep_promise(self, case: Case, now: float) -> None:
        queued = _promise_start(case)
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
                    case.overflowed = True
                    case.record("overflow", now, from_queue=case.queue, to_queue=fallback,
                                reason="promise_at_risk")
                    self.state.dequeue(case.id)
                    self._move_to_queue(case, fallback)
                    self.state.enqueue(QueueEntry(case.id, fallback, case.priority,
                                                  case.front_of_queue, queued))
                    self._memo_of(case.id).declined_by.clear()
                    self._save(case)
                    return
        if not case.callback_offered:
            case.callback_offered = True
            case.record("callback_offered", now, reason="promise_at_risk")
            self._emit(ToCustomer(case.id, "callback_offer",
                                  {"case_id": case.id, "reason": "promise_at_risk"}))
            self._save(case)

    def _predicted_answer(self, case: Case, now: float) -> float:
        announced = self._announced.get(case.id)
        if announced is None or announced.eta is None:
            position = self._position(case)
            eta = self.eta.eta(case.queue, position, self._serving(case.queue, case))
            return math.inf if eta is None else now + eta
        return announced.at + announced.eta

    def _position(self, case: Case) -> int:
        """The case's place among the connected customers (a lost one: the place it comes back to)."""
        ahead = 0
        for entry in self.state.waiting(case.queue):
            if entry.case_id == case.id:
                return ahead + 1
            if not self._is_lost(entry.case_id):
                ahead += 1
        return 0

    # ------------------------------------------------------------------ dispatch

    def _withdraw(self, offer: Offer, reason: str) -> None:
        now = self.clock.now()
        if self.state.take_offer(offer.case_id) is None:
            return
        case = self.case(offer.case_id)
        self._memo_of(case.id).declined_by.add(offer.agent_id)
        case.transition(S.QUEUED, now, reason=f"offer_{reason}", agent_id=offer.agent_id)
        self._emit(ToAgent(offer.agent_id, "offer_withdrawn",
                           {"case_id": case.id, "reason": reason}))
        self._save(case)

    def _offer_payload(self, offer: Offer) -> dict[str, Any]:
        case = self.case(offer.case_id)
        queued = case.first_entered(S.QUEUED) or case.created_at
        return {
            "case_id": case.id,
            "queue": case.queue,
            "expires_in": max(0.0, round(offer.expires_at - self.clock.now(), 1)),
            "waited_seconds": round(self.clock.now() - queued, 1),
            "summary": _summary(case),
        }

    def _dispatch(self) -> None:
        """Offer every waiting case, best first, to the longest-idle agent who can take it."""
        now = self.clock.now()
        entries = sorted(
            (e for q in list(self.state.queue_names()) for e in self.state.waiting(q)),
            key=lambda e: e.order,
        )
        busy = {o.agent_id for o in self.state.offers()}
        for entry in entries:
            case = self.cases.get(entry.case_id)
            if case is None or case.state is not S.QUEUED:
                continue
            memo = self._memo_of(case.id)
            if memo.customer_lost_at is not None:
                continue  # do not ring an agent for a customer who may be gone
            ready = [
                a for a in self.state.agents()
                if a.ready_for_offer()
                and a.profile.id not in busy
                and a.profile.can_serve(case.skills, case.language)
            ]
            fresh = [a for a in ready if a.profile.id not in memo.declined_by]
            if not fresh and ready:
                memo.declined_by.clear()  # everyone had a go: start the round again
                fresh = ready
            if not fresh:
                continue
            # an agent already in a conversation is not idle: fewest cases first, then longest idle
            agent = min(fresh, key=lambda a: (len(a.cases), a.idle_since, a.profile.id))
            offer = Offer(case.id, agent.profile.id, now, now + self.config.offer_timeout_seconds)
            self.state.put_offer(offer)
            busy.add(agent.profile.id)
            case.transition(S.OFFERED, now, agent_id=agent.profile.id)
            self._emit(ToAgent(agent.profile.id, "offer", self._offer_payload(offer)))
            self._save(case)

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
                self._announced[case.id] = _Announced(queue, position, eta, now)
                title = self.rules.queues[queue]
                self._emit(ToCustomer(case.id, "queue_status", {
                    "case_id": case.id,
                    "queue": queue,
                    "queue_title": {"sv": title.title_sv, "en": title.title_en},
                    "position": position,
                    "eta_seconds": eta,
                    "promise_seconds": int(self.config.promise_seconds),
                }))
        overview = self.queue_overview()
        comparable = [(q["name"], q["waiting"], [c["case_id"] for c in q["cases"]],
                       q["away"], q["agents_serving"]) for q in overview["queues"]]
        if comparable != self._overview:
            self._overview = comparable
            self._emit(ToAllAgents("queues", overview))

    def queue_overview(self) -> dict[str, Any]:
        now = self.clock.now()
        queues = []
        for name, definition in self.rules.queues.items():
            waiting = self._present(name)
            cases = []
            for entry in waiting:
                case = self.cases[entry.case_id]
                queued = case.first_entered(S.QUEUED) or case.created_at
                cases.append({"case_id": case.id, "waited_seconds": round(now - queued, 1),
                              "state": case.state.value, **_summary(case)})
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

    def _finish(self, case: Case) -> None:
        self._announced.pop(case.id, None)
        self._memo.pop(case.id, None)
        self.chats.forget(case.id)
        self._emit(ForgetCase(case.id))

    def forget_finished(self, older_than: float) -> None:
        """Drop finished cases from memory once nobody can act on them any more."""
        for case_id, case in list(self.cases.items()):
            last = case.events[-1].at
            if case.state in (S.CLOSED, S.ABANDONED, S.CALLBACK_REQUESTED) and last < older_than:
                del self.cases[case_id]

    def live_cases(self) -> Iterable[Case]:
        return [c for c in self.cases.values() if not c.is_terminal]


def _call_broke_with_the_link(case: Case, lost_at: float, window: float) -> bool:
    return any(
        event.kind == "media_failed" and event.at >= lost_at - window
        for event in case.events
    )


def _promise_start(case: Case) -> float | None:
    """When the answer promise started: the first queueing, or the re-queueing after a lost agent."""
    for event in reversed(case.events):
        if event.to_state is S.QUEUED and event.detail.get("reason") == "agent_lost":
            return event.at
    return case.first_entered(S.QUEUED)


def _summary(case: Case) -> dict[str, Any]:
    context = case.context
    lines = context.get("cart", {}).get("lines", [])
    return {
        "store": case.store,
        "channel": case.channel,
        "language": case.language,
        "position": context.get("position"),
        "payment_step": context.get("payment_step"),
        "cart_total": round(sum(li["unit_price"] * li["quantity"] for li in lines), 2),
        "currency": context.get("cart", {}).get("currency", "SEK"),
        "first_channel": case.first_channel,
        "rule": case.rule,
    }
