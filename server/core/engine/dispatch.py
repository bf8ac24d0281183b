"""Who answers: offers to the longest-idle agent who can serve, accept, decline and time-outs,
agents signing in, changing presence and being lost."""

from __future__ import annotations

from typing import Any

from ..agents import AgentProfile, AgentStatus, Presence
from ..case import Case, short_number
from ..errors import OfferNotFound
from ..events import (
    AgentJoined,
    AgentLost,
    CaseAssigned,
    OfferMade,
    OfferWithdrawn,
    PresenceChanged,
    TransferFailed,
)
from ..history import photos_sent
from ..state import Offer, QueueEntry
from .base import EngineBase, Outcome, S, promise_start, summary


class Dispatch(EngineBase):
    def _expire_offers(self, now: float) -> None:
        """Offers that ran out go to the next agent; an agent who let one lapse is set away."""
        for offer in list(self.state.offers()):
            if offer.expires_at <= now and offer.case_id in self.cases:  # its host expires it
                expiry = self.state.expire(offer.case_id, now)
                if expiry is None:
                    continue
                self._requeue_withdrawn(expiry.offer, "timeout")
                if expiry.set_away:
                    # an agent who lets an offer lapse is probably not at the desk
                    self._emit(PresenceChanged(offer.agent_id, "away", "missed_offer"))

    def _expire_agents(self, now: float) -> None:
        for status in list(self.state.agents()):
            if status.lost_at is not None and now >= status.grace_until(self.config.agent_grace_seconds) \
                    and any(c in self.cases for c in status.cases):  # their cases' host settles
                self._agent_lost(status)

    def agent_connected(self, profile: AgentProfile) -> list[Outcome]:
        """Sign-in or reconnect. A reconnect within the grace period keeps presence and cases."""
        status = self.state.connect_agent(profile, self.clock.now())
        self.agents_here.add(profile.id)
        self._emit(PresenceChanged(profile.id, status.presence.value))
        for case_id in sorted(status.cases):
            if case_id in self.cases:
                self._emit(CaseAssigned(profile.id, self.agent_view(case_id)))
        offer = self.state.offer_for_agent(profile.id)
        if offer is not None and offer.case_id in self.cases:
            self._emit(self._offer_made(offer))
        self._overview = None
        self._dispatch()
        return self._flush()

    def agent_disconnected(self, agent_id: str) -> list[Outcome]:
        self.agents_here.discard(agent_id)
        if self.state.disconnect_agent(agent_id, self.clock.now()) is None:
            return []
        offer = self.state.offer_for_agent(agent_id)
        if offer is not None:
            self._withdraw(offer, "agent_left")
        self._overview = None
        self._dispatch()
        return self._flush()

    def set_presence(self, agent_id: str, presence: Presence) -> list[Outcome]:
        self._agent(agent_id)
        self.state.set_presence(agent_id, presence, self.clock.now())
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
        case = self.case(case_id)
        self._agent(agent_id)
        status = self.state.accept(case_id, agent_id, now)
        if status is None:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        first_answer = case.first_entered(S.ACTIVE) is None
        case.transition(S.ACTIVE, now, agent_id=agent_id, agent_name=status.profile.display_name)
        if first_answer:
            queued = case.first_entered(S.QUEUED)
            if queued is not None:
                self.eta.observe(case.queue, now - queued)
        self._announced.pop(case.id, None)
        self._emit(AgentJoined(case.id, agent_id, case.agent_name, case.first_channel))
        self._greet(case)
        self._emit(CaseAssigned(agent_id, self.agent_view(case.id)))
        self._save(case)
        self._dispatch()
        return self._flush()

    def decline(self, agent_id: str, case_id: str) -> list[Outcome]:
        offer = self.state.decline(case_id, agent_id)
        if offer is None:
            raise OfferNotFound(f"there is no open offer of case {case_id} to you")
        self._requeue_withdrawn(offer, "declined")
        self._dispatch()
        return self._flush()

    def _withdraw(self, offer: Offer, reason: str) -> None:
        if offer.case_id not in self.cases:
            return  # another node's case: its host withdraws it when it sees the agent change
        taken = self.state.withdraw(offer.case_id)
        if taken is not None:
            self._requeue_withdrawn(taken, reason)

    def _requeue_withdrawn(self, offer: Offer, reason: str) -> None:
        """The offer is gone (its command succeeded): the case waits again."""
        now = self.clock.now()
        case = self.case(offer.case_id)
        self._memo_of(case.id).declined_by.add(offer.agent_id)
        reserved = case.transfer_to == offer.agent_id
        # the fold ends a transfer's reservation: the case now waits, first, for anyone
        case.transition(S.QUEUED, now, reason=f"offer_{reason}", agent_id=offer.agent_id)
        self._emit(OfferWithdrawn(offer.agent_id, case.id, reason))
        transfer = self.transfer_of(case) if reserved else None
        if transfer is not None:
            self._emit(TransferFailed(transfer["from_agent_id"], case.id, offer.agent_id, reason))
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
            transfer=self.transfer_of(case),
        )

    def _dispatch(self, not_now: frozenset[str] | set[str] = frozenset()) -> None:
        """Offer every waiting case, best first, to the longest-idle agent who can take it
        (except ``not_now``: agents the shared state just refused an offer or accept for)."""
        now = self.clock.now()
        def reserved_first(entry: QueueEntry) -> tuple[bool, tuple[int, int, float]]:
            # a case transferred to a named colleague goes to them before anything else does
            case = self.cases.get(entry.case_id)
            return (case is None or case.transfer_to is None, entry.order)

        entries = sorted(
            (e for q in list(self.state.queue_names()) for e in self.state.waiting(q)),
            key=reserved_first,
        )
        busy = {o.agent_id for o in self.state.offers()} | set(not_now)
        for entry in entries:
            case = self.cases.get(entry.case_id)
            if case is None or case.state is not S.QUEUED:
                continue
            memo = self._memo_of(case.id)
            if memo.customer_lost_at is not None:
                continue  # do not ring an agent for a customer who may be gone
            ready = [
                a for a in self.state.agents()
                if a.ready_for_offer() and a.profile.id in self.agents_here
                and a.profile.id not in busy
                and a.profile.can_serve(case.skills, case.language)
            ]
            if case.transfer_to is not None:
                # reserved for the colleague it was transferred to, until that offer lapses
                ready = [a for a in ready if a.profile.id == case.transfer_to]
            fresh = [a for a in ready if a.profile.id not in memo.declined_by]
            if not fresh and ready:
                memo.declined_by.clear()  # everyone had a go: start the round again
                fresh = ready
            # an agent already in a conversation is not idle: fewest cases first, then longest idle
            made: Offer | None = None
            for agent in sorted(fresh, key=lambda a: (len(a.cases), a.idle_since, a.profile.id)):
                # refused when the shared state has moved on (another node rang the agent first)
                made = self.state.offer(Offer(case.id, agent.profile.id, now,
                                              now + self.config.offer_timeout_seconds))
                busy.add(agent.profile.id)
                if made is not None:
                    break
            if made is None:
                continue
            offer = made
            case.transition(S.OFFERED, now, agent_id=agent.profile.id)
            self._emit(self._offer_made(offer))
            self._save(case)

    def _agent_lost(self, status: AgentStatus) -> None:
        now = self.clock.now()
        hosted = [self.cases[c] for c in sorted(status.cases) if c in self.cases]
        for case in hosted:
            if case.state is S.ACTIVE:
                self._requeue_lost_agent_case(case, status.profile.id, now)
            # a case already in wrap-up stays with the agent's record; it is closed later
        # another node's cases are its own to requeue
        drop = frozenset(c.id for c in hosted if c.state is not S.WRAP_UP)
        self.state.settle_lost_agent(status.profile.id, drop)
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
        now = self.clock.now()
        waited_from = promise_start(case) or case.created_at
        answered_at = case.entered(S.ACTIVE)
        return {
            "case_id": case.id,
            #: the short number the agent tells customers apart by (and says to a supervisor)
            "number": short_number(case.id),
            #: the wait from the promise's start to the answer (or until now if not answered)
            "waited_seconds": round(max(0.0, (answered_at or now) - waited_from), 1),
            #: talk time so far, while the case is active
            "active_seconds": round(max(0.0, now - answered_at), 1)
            if case.state is S.ACTIVE and answered_at is not None else None,
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
            #: internal, transfer and wrap-up notes: for the case's agent, never the customer
            "notes": [n.as_payload() for n in self.notes.of(case.id)],
            "transfer": self.transfer_of(case),
        }
