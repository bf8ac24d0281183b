"""Who answers: offers to the longest-idle agent who can serve, accept, decline and time-outs,
agents signing in, changing presence and being lost."""

from __future__ import annotations

from typing import Any

from ..agents import AgentProfile, AgentStatus, Presence
from ..case import Case
from ..errors import OfferNotFound
from ..events import AgentJoined, AgentLost, CaseAssigned, OfferMade, OfferWithdrawn, PresenceChanged
from ..history import photos_sent
from ..state import Offer, QueueEntry
from .base import EngineBase, Outcome, S, summary


class Dispatch(EngineBase):
    def _expire_offers(self, now: float) -> None:
        """Offers that ran out go to the next agent; an agent who let one lapse is set away."""
        for offer in list(self.state.offers()):
            if offer.expires_at <= now:
                self._withdraw(offer, "timeout")
                status = self.state.agent(offer.agent_id)
                if status is not None and status.presence is Presence.AVAILABLE:
                    # an agent who lets an offer lapse is probably not at the desk
                    status.presence = Presence.AWAY
                    self._emit(PresenceChanged(offer.agent_id, "away", "missed_offer"))

    def _expire_agents(self, now: float) -> None:
        for status in list(self.state.agents()):
            if status.lost_at is not None and now >= status.grace_until(self.config.agent_grace_seconds):
                self._agent_lost(status)

    def agent_connected(self, profile: AgentProfile) -> list[Outcome]:
        """Sign-in or reconnect. A reconnect within the grace period keeps presence and cases."""
        now = self.clock.now()
        status = self.state.agent(profile.id)
        if status is None or (not status.online and status.lost_at is None):
            status = AgentStatus(profile=profile, presence=Presence.AWAY, idle_since=now)
        status.online = True
        status.lost_at = None
        status.lost_grace_until = None
        self.state.put_agent(status)
        self._emit(PresenceChanged(profile.id, status.presence.value))
        for case_id in sorted(status.cases):
            self._emit(CaseAssigned(profile.id, self.agent_view(case_id)))
        offer = self.state.offer_for_agent(profile.id)
        if offer is not None:
            self._emit(self._offer_made(offer))
        self._overview = None
        self._dispatch()
        return self._flush()

    def agent_disconnected(self, agent_id: str) -> list[Outcome]:
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

    def set_presence(self, agent_id: str, presence: Presence) -> list[Outcome]:
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
        self._emit(PresenceChanged(agent_id, presence.value))
        self._overview = None
        self._dispatch()
        return self._flush()

    def accept(self, agent_id: str, case_id: str) -> list[Outcome]:
        offer = self.state.offer_for_case(case_id)
        now = self.clock.now()
        if offer is None or offer.agent_id != agent_id or offer.expires_at <= now:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        self.state.take_offer(case_id)
        case = self.case(case_id)
        status = self._agent(agent_id)
        first_answer = case.first_entered(S.ACTIVE) is None
        case.transition(S.ACTIVE, now, agent_id=agent_id, agent_name=status.profile.display_name)
        status.cases.add(case.id)
        self.state.dequeue(case.id)
        if first_answer:
            queued = case.first_entered(S.QUEUED)
            if queued is not None:
                self.eta.observe(case.queue, now - queued)
        self._announced.pop(case.id, None)
        self._emit(AgentJoined(case.id, agent_id, case.agent_name, case.first_channel))
        self._emit(CaseAssigned(agent_id, self.agent_view(case.id)))
        self._save(case)
        self._dispatch()
        return self._flush()

    def decline(self, agent_id: str, case_id: str) -> list[Outcome]:
        offer = self.state.offer_for_case(case_id)
        if offer is None or offer.agent_id != agent_id:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        self._withdraw(offer, "declined")
        self._dispatch()
        return self._flush()

    def _withdraw(self, offer: Offer, reason: str) -> None:
        now = self.clock.now()
        if self.state.take_offer(offer.case_id) is None:
            return
        case = self.case(offer.case_id)
        self._memo_of(case.id).declined_by.add(offer.agent_id)
        case.transition(S.QUEUED, now, reason=f"offer_{reason}", agent_id=offer.agent_id)
        self._emit(OfferWithdrawn(offer.agent_id, case.id, reason))
        self._save(case)

    def _offer_made(self, offer: Offer) -> OfferMade:
        case = self.case(offer.case_id)
        queued = case.first_entered(S.QUEUED) or case.created_at
        return OfferMade(
            agent_id=offer.agent_id,
            case_id=case.id,
            queue=case.queue,
            expires_in=max(0.0, round(offer.expires_at - self.clock.now(), 1)),
            waited_seconds=round(self.clock.now() - queued, 1),
            summary=summary(case),
        )

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
            self._emit(self._offer_made(offer))
            self._save(case)

    def _agent_lost(self, status: AgentStatus) -> None:
        now = self.clock.now()
        status.lost_at = None
        status.lost_grace_until = None
        for case_id in sorted(status.cases):
            case = self.case(case_id)
            if case.state is S.ACTIVE:
                self._requeue_lost_agent_case(case, status.profile.id, now)
            # a case already in wrap-up stays with the agent's record; it is closed later
        status.cases = {c for c in status.cases if self.case(c).state is S.WRAP_UP}
        self._overview = None

    def _requeue_lost_agent_case(self, case: Case, agent_id: str, now: float) -> None:
        # the fold takes the agent off the case and puts it at the front of its queue
        case.transition(S.QUEUED, now, reason="agent_lost", agent_id=agent_id)
        self.state.enqueue(QueueEntry(case.id, case.queue, case.priority, True, now))
        self._emit(AgentLost(case.id))
        self._save(case)
        if self._first_queue_with_agents(case) is None:
            # nobody else can take over: the seed's technical-error path (callback)
            self._technical_error(case, "agent_connection_failed")

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
            "photos": photos_sent(case, for_agent=True),
            "customer_connected": self._memo_of(case.id).customer_lost_at is None,
        }
