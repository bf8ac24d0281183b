"""When the shared dispatch state overrules this node: deciding again from the shared truth.

With several nodes the engine decides on its node's view, and the shared state (Redis) may
refuse a command because another node changed it first: the agent was rung for another node's
case, their capacity was taken, the offer was taken back. Nothing of the batch has been sent
yet (the hub writes the commands through first), so the engine takes back what it said on the
strength of a refused command — an offer nobody will hear of, an accept that did not happen —
and decides again: the case is offered to the next agent, or stays queued. The agent whose
accept lost is told the offer is gone (``offer_not_found``, what their console already handles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ..agents import Presence
from ..errors import HelpwireError, OfferNotFound
from ..events import AgentJoined, CaseAssigned, OfferMade, OfferWithdrawn
from ..history import Offered
from ..state import Offer, Overruled, QueueEntry
from .base import EngineBase, Outcome, S

#: whatever a batch carries (the hub's batches hold more than the engine's outcomes)
Item = TypeVar("Item")


class Overruling(EngineBase):
    def overruled(self, refused: Sequence[Overruled], decide_again: bool = True) -> list[Outcome]:
        """Take back what refused commands decided (``unsaid`` drops their events from the
        batch that carries them) and, unless told not to, decide again."""
        now = self.clock.now()
        not_now: set[str] = set()
        for overruled in refused:
            if overruled.shared is not None or overruled.local is None:
                continue  # a value that differs only in its details: the view holds the truth
            if overruled.command == "offer":
                offer: Offer = overruled.args[0]
                not_now.add(offer.agent_id)
                self._unsaid_offers.add((offer.agent_id, offer.case_id))
                case = self.cases.get(offer.case_id)
                if case is not None and case.state is S.OFFERED \
                        and self.state.offer_for_case(case.id) is None:
                    case.transition(S.QUEUED, now, reason="offer_overruled",
                                    agent_id=offer.agent_id)
                    self._save(case)
            elif overruled.command == "accept":
                case_id, agent_id = overruled.args[0], overruled.args[1]
                not_now.add(agent_id)
                self._unsaid_joins[case_id] = OfferNotFound(
                    f"the offer of case {case_id} is gone: it was taken back before your accept"
                    " arrived")
                case = self.cases.get(case_id)
                if case is not None and case.state is S.ACTIVE and case.agent_id == agent_id:
                    case.transition(S.QUEUED, now, reason="accept_overruled", agent_id=agent_id)
                    if self.state.entry(case_id) is None:
                        self.state.enqueue(QueueEntry(case.id, case.queue, case.priority, True,
                                                      now))
                    self._save(case)
        if decide_again:
            self._dispatch(not_now)
        self._overview = None
        return self._flush()

    def unsaid(self, batch: Sequence[Item]) -> tuple[list[Item], HelpwireError | None]:
        """The batch without what was taken back, and the error for the agent whose accept
        in it lost (their acknowledgement says so instead of the case)."""
        if not self._unsaid_offers and not self._unsaid_joins:
            return list(batch), None
        kept: list[Item] = []
        refusal: HelpwireError | None = None
        joined: set[str] = set()
        for outcome in batch:
            if isinstance(outcome, OfferMade) \
                    and (outcome.agent_id, outcome.case_id) in self._unsaid_offers:
                self._unsaid_offers.discard((outcome.agent_id, outcome.case_id))
                continue
            case_id = (outcome.case_id if isinstance(outcome, AgentJoined)
                       else outcome.view.get("case_id") if isinstance(outcome, CaseAssigned)
                       else None)
            if case_id is not None and case_id in self._unsaid_joins:
                joined.add(case_id)
                refusal = self._unsaid_joins[case_id]
                continue
            kept.append(outcome)
        for case_id in joined:
            del self._unsaid_joins[case_id]
        return kept, refusal

    def reconsider(self) -> list[Outcome]:
        """Other nodes' changes came in: offers of this node's cases whose agent can no longer
        take them are taken back, offers the shared state no longer holds end, and the waiting
        cases are offered to whoever is free now."""
        now = self.clock.now()
        for offer in list(self.state.offers()):
            status = self.state.agent(offer.agent_id)
            if offer.case_id in self.cases and (status is None or not status.online
                                                or status.presence is not Presence.AVAILABLE):
                self._withdraw(offer, "presence_changed")
        for case in list(self.cases.values()):
            offered = next((e for e in reversed(case.events) if isinstance(e, Offered)), None)
            if case.state is S.OFFERED and offered is not None \
                    and self.state.offer_for_case(case.id) is None:
                agent_id = offered.agent_id
                case.transition(S.QUEUED, now, reason="offer_overruled", agent_id=agent_id)
                self._emit(OfferWithdrawn(agent_id, case.id, "overruled"))
                self._save(case)
        self._overview = None
        self._dispatch()
        return self._flush()
