"""The case state machine: every state, every allowed transition, each one timestamped.

ASA, FCR and abandonment are computed later from these timestamps, so a transition
is never applied without its time, and an invalid one is refused with a typed error.
A case is the fold of its history (``history.py``): ``Case.apply`` is the only way it changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidTransition

if TYPE_CHECKING:
    from .history import HistoryEvent


class CaseState(enum.StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap_up"
    CLOSED = "closed"
    ABANDONED = "abandoned"
    CALLBACK_REQUESTED = "callback_requested"


S = CaseState

#: characters of the case id shown as its short number (uuid4: 16^6 values, unique enough in a day)
NUMBER_CHARS = 6


def short_number(case_id: str) -> str:
    """The case's short number, said aloud and shown on tabs and boards ("#3F2A9C")."""
    return case_id.replace("-", "")[:NUMBER_CHARS].upper()

#: The whole machine in one place. Anything not listed here is refused.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.CREATED: frozenset({S.QUEUED, S.ABANDONED, S.CALLBACK_REQUESTED}),
    S.QUEUED: frozenset({S.OFFERED, S.ABANDONED, S.CALLBACK_REQUESTED}),
    # an offer that times out or is declined goes back to the queue
    S.OFFERED: frozenset({S.ACTIVE, S.QUEUED, S.ABANDONED, S.CALLBACK_REQUESTED}),
    # an agent who drops mid-case, or transfers it (history.Transferred), puts the case back
    # at the front of the queue
    S.ACTIVE: frozenset({S.WRAP_UP, S.QUEUED, S.CALLBACK_REQUESTED}),
    S.WRAP_UP: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.ABANDONED: frozenset(),
    S.CALLBACK_REQUESTED: frozenset({S.CLOSED}),
}

#: States a case can still be closed from by the system (``Case.close_by_system``): a case that
#: cannot be resumed after a restart is closed with its reason, never left open in the store.
SYSTEM_CLOSABLE: frozenset[CaseState] = frozenset(
    {S.CREATED, S.QUEUED, S.OFFERED, S.ACTIVE, S.WRAP_UP, S.CALLBACK_REQUESTED}
)

TERMINAL: frozenset[CaseState] = frozenset({S.CLOSED, S.ABANDONED})
#: Over for its participants: nothing more happens live. A callback request is finished (the
#: call back happens outside Helpwire), so it never blocks the next Help press on that screen.
FINISHED: frozenset[CaseState] = frozenset({S.CLOSED, S.ABANDONED, S.CALLBACK_REQUESTED})
WAITING: frozenset[CaseState] = frozenset({S.CREATED, S.QUEUED, S.OFFERED})


@dataclass
class Case:
    id: str
    store: str
    channel: str
    context: dict[str, Any]
    queue: str
    skills: frozenset[str]
    language: str
    first_channel: str
    priority: int
    created_at: float
    rule: str | None = None
    kiosk_id: str | None = None
    session_id: str | None = None
    state: CaseState = S.CREATED
    agent_id: str | None = None
    agent_name: str | None = None
    label: str | None = None
    resolved: bool | None = None
    rating: int | None = None
    feedback_text: str | None = None
    #: the history this case is the fold of, oldest first (``history.py``)
    events: list[HistoryEvent] = field(default_factory=list)
    #: set when an agent drops mid-case: the case goes to the front of its queue
    front_of_queue: bool = False
    #: set when the customer's wait has been moved to a fallback queue or offered a callback
    overflowed: bool = False
    callback_offered: bool = False
    customer_dropped: bool = False
    #: the colleague a transfer named: only they are offered the case until that offer lapses
    transfer_to: str | None = None
    #: how many times the case was transferred
    transfers: int = 0

    def __post_init__(self) -> None:
        if not self.events:
            from .history import opening_of

            self.events.append(opening_of(self))

    @classmethod
    def replay(cls, events: Iterable[HistoryEvent]) -> Case:
        """The case a stored history describes (``history.replay``)."""
        from .history import replay

        return replay(events)

    def can(self, target: CaseState) -> bool:
        return target in TRANSITIONS[self.state]

    def apply(self, event: HistoryEvent) -> HistoryEvent:
        """Fold one event into the case: its transition (checked against ``TRANSITIONS``, and
        from the state the case is in), then whatever else the fact changes."""
        target = event.to_state
        if target is not None:
            # a system close (``close_by_system``) is the one way around the table's edges
            allowed = (self.state in SYSTEM_CLOSABLE if event.by_system
                       else target in TRANSITIONS[self.state])
            if not allowed or event.from_state is not self.state:
                raise InvalidTransition(self.id, self.state.value, target.value)
            self.state = target
        event.fold(self)
        self.events.append(event)
        return event

    def transition(self, target: CaseState, at: float, **detail: Any) -> HistoryEvent:
        """Move to ``target`` with the event that leads there (``history.INTO``)."""
        from .history import INTO

        if not self.can(target):
            raise InvalidTransition(self.id, self.state.value, target.value)
        return self.apply(INTO[target](at=at, from_state=self.state, **detail))  # type: ignore[call-arg]

    def close_by_system(self, at: float, reason: str) -> HistoryEvent:
        """Close a case nobody can carry on (e.g. not resumable after a restart), with the reason."""
        from .history import Closed

        if self.state not in SYSTEM_CLOSABLE:
            raise InvalidTransition(self.id, self.state.value, S.CLOSED.value)
        return self.apply(Closed(at, self.state, by="system", reason=reason))

    def entered(self, state: CaseState) -> float | None:
        """When the case last entered a state, or None."""
        for event in reversed(self.events):
            if event.kind == "transition" and event.to_state is state:
                return event.at
        return None

    def first_entered(self, state: CaseState) -> float | None:
        for event in self.events:
            if event.kind == "transition" and event.to_state is state:
                return event.at
        return None

    @property
    def is_waiting(self) -> bool:
        return self.state in WAITING

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED
