"""The engine's shared state and vocabulary: its configuration, the cases it holds, the helpers
every part uses, and the hooks by which the parts call one another.

The engine is one object (``CaseEngine``) assembled from one module per concept; each part
reads and changes this shared state and returns what happened through ``_emit``.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..agents import AgentStatus, Presence
from ..case import Case, CaseState
from ..chat import ChatHistory
from ..clock import Clock
from ..effects import ForgetCase, ForgetNotes, KeepNote, SaveCase, Stored
from ..errors import AgentNotFound, CaseNotFound, HelpwireError, NotYourCase
from ..eta import EwmaEstimator
from ..events import DomainEvent
from ..history import NoteAdded, Overflowed, Queued, Transferred
from ..notes import Note, NoteBook
from ..routing import RuleSet
from ..state import DispatchState, MemoryDispatchState, Offer, QueueEntry

S = CaseState

#: what the engine returns: what happened (domain events) and what must be stored (writes)
Outcome = DomainEvent | Stored


@dataclass(frozen=True)
class EngineConfig:
    """What the engine is told; no defaults here: they are the settings' (server/settings/engine.py
    derives this from the [dispatch], [limits] and [storage] sections)."""

    promise_seconds: float
    #: act (overflow or offer a callback) this long before the promise would be broken
    promise_guard_seconds: float
    offer_timeout_seconds: float
    max_queue_length: int
    customer_grace_seconds: float
    agent_grace_seconds: float
    cart_hold_seconds: float
    eta_prior_seconds: float
    eta_alpha: float
    labels: tuple[str, ...]
    transcript_retention: bool
    feedback_seconds: int
    #: a call that failed this close to the chat link's loss failed with it (a frozen device's
    #: media is noticed a few seconds before its socket)
    call_loss_window_seconds: float
    #: longest note (internal, transfer, wrap-up) in characters
    max_note_chars: int
    #: the automatic greeting said for the agent when they accept, by language ("{name}" is the
    #: agent's display name); None = no greeting (setting auto_greeting)
    greeting: dict[str, str] | None = None


@dataclass
class Announced:
    queue: str
    position: int
    eta: int | None
    at: float


@dataclass
class Waiting:
    """Per-case dispatch memory that is not part of the stored case."""

    declined_by: set[str] = field(default_factory=set)
    customer_lost_at: float | None = None
    #: when the lost customer's case is given up (their grace period ends)
    customer_grace_until: float | None = None


class EngineBase(ABC):
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
        self.notes = NoteBook()
        self.eta = EwmaEstimator(config.eta_prior_seconds, config.eta_alpha)
        self._announced: dict[str, Announced] = {}
        self._memo: dict[str, Waiting] = {}
        #: agents connected to this node: the only ones it can tell of an offer. With a shared
        #: dispatch state the view also holds other nodes' agents and cases; this node acts
        #: only on the cases it hosts (``self.cases``) and rings only the agents it reaches
        self.agents_here: set[str] = set()
        #: what the engine took back after the shared state overruled it, not yet sent: the
        #: batch that carries it drops it (``Overruling.unsaid``; the commands of several
        #: batches may be written through together): offers by (agent, case), and accepted
        #: cases with the error for the agent whose accept lost
        self._unsaid_offers: set[tuple[str, str]] = set()
        self._unsaid_joins: dict[str, HelpwireError] = {}
        self._overview: object = None
        self._out: list[Outcome] = []

    def _emit(self, effect: Outcome) -> None:
        self._out.append(effect)

    def _flush(self) -> list[Outcome]:
        self._announce()
        return self._take()

    def _take(self) -> list[Outcome]:
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

    def _memo_of(self, case_id: str) -> Waiting:
        return self._memo.setdefault(case_id, Waiting())

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

    def _first_queue_with_agents(self, case: Case) -> str | None:
        for queue in [case.queue, *self.rules.fallback_chain(case.queue)]:
            if self._online_for(queue, case):
                return queue
        return None

    def _overflow(self, case: Case, queue: str, reason: str, now: float) -> None:
        """The wait moves to a fallback queue, which brings its own skills."""
        case.apply(Overflowed(now, from_queue=case.queue, to_queue=queue, reason=reason,
                              skills=tuple(sorted(self.rules.queues[queue].skills))))

    def _position(self, case: Case) -> int:
        """The case's place among the connected customers (a lost one: the place it comes back to)."""
        ahead = 0
        for entry in self.state.waiting(case.queue):
            if entry.case_id == case.id:
                return ahead + 1
            if not self._is_lost(entry.case_id):
                ahead += 1
        return 0

    def _finish(self, case: Case) -> None:
        self._announced.pop(case.id, None)
        self._memo.pop(case.id, None)
        self.chats.forget(case.id)
        if self.notes.has(case.id):
            self.notes.forget(case.id)
            if not self.config.transcript_retention:
                self._emit(ForgetNotes(case.id))
        self._emit(ForgetCase(case.id))

    def _add_note(self, case: Case, agent_id: str, agent_name: str | None, kind: str, text: str,
                  now: float) -> Note:
        """A note (``core/notes.py``): its fact in the history, its text kept apart."""
        if len(text) > self.config.max_note_chars:
            raise ValueError("a note longer than max_note_chars")  # the adapter refuses it first
        note = Note(self._new_id(), case.id, agent_id, agent_name, kind, text, now)
        self.notes.add(note)
        case.apply(NoteAdded(now, note_id=note.id, agent_id=agent_id, note_kind=kind))
        self._emit(KeepNote(case.id, note.id, now, agent_id, agent_name, kind, text))
        return note

    def transfer_of(self, case: Case) -> dict[str, Any] | None:
        """The case's latest transfer, as its receiver is told it (with the note), or None."""
        last = next((e for e in reversed(case.events) if isinstance(e, Transferred)), None)
        if last is None:
            return None
        note = next((n for n in self.notes.of(case.id) if n.id == last.note_id), None)
        sender = self.state.agent(last.agent_id)
        return {
            "from_agent_id": last.agent_id,
            "from_agent_name": sender.profile.display_name if sender else None,
            "to_agent_id": last.to_agent,
            "queue": last.to_queue,
            "at": last.at,
            "note": note.text if note is not None else None,
        }

    # ------------------------------------------------------------------ hooks: each part implements its own

    @abstractmethod
    def _dispatch(self, not_now: frozenset[str] | set[str] = frozenset()) -> None:
        """Offer waiting cases to free agents, except ``not_now`` (dispatch.py)."""

    @abstractmethod
    def _withdraw(self, offer: Offer, reason: str) -> None:
        """Take an offer back; the case waits again (dispatch.py)."""

    @abstractmethod
    def _announce(self) -> None:
        """Tell customers and agents what changed in the queues (queueing.py)."""

    @abstractmethod
    def _technical_error(self, case: Case, reason: str) -> None:
        """Nobody can serve the case: we call back (promise.py)."""

    @abstractmethod
    def _abandon(self, case: Case, reason: str) -> None:
        """The customer left before an answer (participants.py)."""

    @abstractmethod
    def _requeue_lost_agent_case(self, case: Case, agent_id: str, now: float) -> None:
        """The agent is gone: the case waits again, first (dispatch.py)."""

    @abstractmethod
    def _greet(self, case: Case) -> None:
        """Say the automatic greeting for the agent who just joined, if one is set (conversation.py)."""

    @abstractmethod
    def agent_view(self, case_id: str) -> dict[str, Any]:
        """What an agent sees of a case (dispatch.py)."""


def promise_start(case: Case) -> float | None:
    """When the answer promise started: the first queueing, or the re-queueing after a lost agent."""
    for event in reversed(case.events):
        if isinstance(event, Queued) and event.reason == "agent_lost":
            return event.at
    return case.first_entered(S.QUEUED)


def summary(case: Case) -> dict[str, Any]:
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
