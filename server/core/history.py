"""A case's history as typed events: what is stored, and what a case is rebuilt from.

Every change to a case is one of these frozen facts, applied by ``Case.apply`` (the fold). A
transition event names the state it leads to (``to_state``) and the one it left; applying it is
checked against ``TRANSITIONS``, so a replayed history obeys the same machine as a live case.
``replay`` folds a history into the ``Case`` it describes: after a restart, the stored events
are the truth and the ``cases`` row is only a projection for reports and lists.

Each event is stored as a ``type``, a ``version`` and its ``payload`` (``encode``/``decode``);
``kind``, ``to_state`` and ``detail`` are the projection that reports and KPIs read (a state
change has kind ``"transition"``, every other fact its type).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, get_args

from pydantic import TypeAdapter

from .case import Case, CaseState
from .errors import UnknownHistoryEvent

S = CaseState

#: the payload format written today; 0 is the free-form history written before typed events
VERSION = 1


@dataclass(frozen=True)
class _Event:
    at: float

    TYPE: ClassVar[str]
    #: the state a transition leads to; None for a fact that changes no state
    TO: ClassVar[CaseState | None] = None
    #: the state a transition left (a field of every transition); None for any other fact
    from_state: ClassVar[CaseState | None] = None

    @property
    def kind(self) -> str:
        return "transition" if self.TO is not None else self.TYPE

    @property
    def to_state(self) -> CaseState | None:
        return self.TO

    @property
    def by_system(self) -> bool:
        """A close by the system, allowed from any ``SYSTEM_CLOSABLE`` state."""
        return False

    @property
    def detail(self) -> dict[str, Any]:
        """The event's own fields (not its time or source state), leaving out those not set."""
        return {name: value for name in _PAYLOAD[type(self)]
                if (value := getattr(self, name)) is not None}

    def fold(self, case: Case) -> None:
        """What the fact changes on the case besides its state (nothing, for most)."""


#: fields stored in their own columns rather than in the payload
_COLUMNS = frozenset({"at", "from_state"})


@dataclass(frozen=True)
class _Transition(_Event):
    from_state: CaseState | None = dataclasses.field()  # type: ignore[misc]  # None on other facts


# ---------------------------------------------------------------- state changes


@dataclass(frozen=True)
class CaseOpened(_Transition):
    """A Help press became a case: everything the routing decided, once."""

    TYPE = "opened"
    TO = S.CREATED

    id: str
    store: str
    channel: str
    context: dict[str, Any]
    queue: str
    skills: tuple[str, ...]
    language: str
    first_channel: str
    priority: int
    rule: str | None = None
    kiosk_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class Queued(_Transition):
    """The case waits: first after the Help press, again after an offer lapsed or an agent was lost."""

    TYPE = "queued"
    TO = S.QUEUED

    queue: str | None = None
    reason: str | None = None
    agent_id: str | None = None

    def fold(self, case: Case) -> None:
        if self.reason == "agent_lost":
            case.agent_id = case.agent_name = None
            case.front_of_queue = True
        elif self.reason == "accept_overruled":
            # the shared state refused the accept (another node took the offer back first)
            case.agent_id = case.agent_name = None
        if self.reason is not None and self.reason != "agent_lost":
            # an offer that lapsed (or a restart) ends a transfer's reservation for its colleague
            case.transfer_to = None


@dataclass(frozen=True)
class Offered(_Transition):
    TYPE = "offered"
    TO = S.OFFERED

    agent_id: str


@dataclass(frozen=True)
class Answered(_Transition):
    """An agent accepted the offer: the case is theirs."""

    TYPE = "answered"
    TO = S.ACTIVE

    agent_id: str
    agent_name: str | None = None

    def fold(self, case: Case) -> None:
        case.agent_id = self.agent_id
        case.agent_name = self.agent_name
        case.front_of_queue = False
        case.transfer_to = None


@dataclass(frozen=True)
class Transferred(_Transition):
    """The answering agent handed the case on: to a named colleague (who alone is offered it
    until that offer lapses) or to a queue. The case waits again, first in its queue, with its
    promise clock running from the first queueing (``engine.base.promise_start``)."""

    TYPE = "transferred"
    TO = S.QUEUED
    #: ``Queued`` is the event that leads into the queue (``INTO``); this is the other way there
    SECONDARY: ClassVar[bool] = True

    agent_id: str
    to_queue: str
    #: the skills the case asks for from here on (the receiving queue's, when it changed)
    skills: tuple[str, ...]
    to_agent: str | None = None
    to_agent_name: str | None = None
    #: the internal note that travels with the case (its text is kept apart, ``NoteAdded``)
    note_id: str | None = None

    def fold(self, case: Case) -> None:
        case.agent_id = case.agent_name = None
        case.front_of_queue = True
        case.queue = self.to_queue
        case.skills = frozenset(self.skills)
        case.transfer_to = self.to_agent
        case.transfers += 1


@dataclass(frozen=True)
class WrapUp(_Transition):
    TYPE = "wrap_up"
    TO = S.WRAP_UP

    by: str | None = None


@dataclass(frozen=True)
class Closed(_Transition):
    """Closed by the agent (with label and outcome) or by the system (with its reason)."""

    TYPE = "closed"
    TO = S.CLOSED

    label: str | None = None
    resolved: bool | None = None
    by: str | None = None
    reason: str | None = None

    @property
    def by_system(self) -> bool:
        return self.by == "system"

    def fold(self, case: Case) -> None:
        if self.by != "system":
            case.label = self.label
            case.resolved = self.resolved


@dataclass(frozen=True)
class Abandoned(_Transition):
    TYPE = "abandoned"
    TO = S.ABANDONED

    reason: str | None = None


@dataclass(frozen=True)
class CallbackRequested(_Transition):
    TYPE = "callback_requested"
    TO = S.CALLBACK_REQUESTED

    reason: str | None = None


# ---------------------------------------------------------------- facts within a state


@dataclass(frozen=True)
class Overflowed(_Event):
    """The wait moved to a fallback queue (nobody online, or the promise at risk there)."""

    TYPE = "overflow"

    from_queue: str
    to_queue: str
    reason: str | None = None
    #: the skills the new queue asks for
    skills: tuple[str, ...] | None = None

    def fold(self, case: Case) -> None:
        case.queue = self.to_queue
        if self.skills is not None:
            case.skills = frozenset(self.skills)
        case.overflowed = True


@dataclass(frozen=True)
class CallbackSuggested(_Event):
    """The promise was at risk: the customer was offered a callback instead of waiting."""

    TYPE = "callback_offered"

    reason: str | None = None

    def fold(self, case: Case) -> None:
        case.callback_offered = True


@dataclass(frozen=True)
class ChatLineSent(_Event):
    """A chat line (its text is kept apart, and only while the case is open)."""

    TYPE = "chat_line"

    message_id: str
    sender: str
    client_id: str | None = None
    quick_reply: str | None = None


@dataclass(frozen=True)
class ChatLineDelivered(_Event):
    """The other side's client showed the line (its sender's ✓✓): stored, so the mark survives a
    reload and a restart."""

    TYPE = "chat_delivered"

    message_id: str


@dataclass(frozen=True)
class CustomerEndedChat(_Event):
    TYPE = "customer_ended"


@dataclass(frozen=True)
class CustomerDropped(_Event):
    """The customer of an active case did not come back within the grace period."""

    TYPE = "customer_dropped"

    def fold(self, case: Case) -> None:
        case.customer_dropped = True


@dataclass(frozen=True)
class FeedbackReceived(_Event):
    """The customer's rating. Their free text is kept apart, on the case's row, as chat text is:
    it is not part of the lasting history."""

    TYPE = "feedback"

    rating: int

    def fold(self, case: Case) -> None:
        case.rating = self.rating


@dataclass(frozen=True)
class ChannelChanged(_Event):
    """Chat, voice or video: what the conversation went over from here on."""

    TYPE = "channel"

    from_channel: str
    to_channel: str
    by: str
    reason: str | None = None


@dataclass(frozen=True)
class CallProposed(_Event):
    TYPE = "media_proposed"

    channel: str
    by: str


@dataclass(frozen=True)
class CallDeclined(_Event):
    TYPE = "media_declined"

    channel: str
    by: str


@dataclass(frozen=True)
class CallConnected(_Event):
    TYPE = "media_connected"

    channel: str


@dataclass(frozen=True)
class CallFailed(_Event):
    TYPE = "media_failed"

    role: str
    reason: str
    channel: str


@dataclass(frozen=True)
class MediaPathChosen(_Event):
    """How a stream crosses the server (forwarded or transcoded), for operators."""

    TYPE = "media_path"

    role: str
    stream: str
    path: str
    codec_in: str
    codec_out: str


@dataclass(frozen=True)
class NoteAdded(_Event):
    """An agent's note, never shown to the customer: ``internal`` (during the case),
    ``transfer`` (travels with a transfer) or ``wrap_up`` (with the outcome). Its text is
    personal data kept apart (``case_notes``), under the transcript retention rules."""

    TYPE = "agent_note"

    note_id: str
    agent_id: str
    #: internal, transfer or wrap_up (``core/notes.py``)
    note_kind: str


@dataclass(frozen=True)
class Marked(_Event):
    """The agent marked the case (needs_verification, visual_fault, …)."""

    TYPE = "mark"

    mark: str


@dataclass(frozen=True)
class ConsentRecorded(_Event):
    """A consent grant was requested, answered or ended."""

    TYPE = "consent"

    scope: str
    event: str
    grant_id: str
    by: str
    sku: str | None = None
    duration: float | None = None


@dataclass(frozen=True)
class AgeChecked(_Event):
    """The agent's age-check verdict on an item (``consent.age_check.AgeCheckRecord``)."""

    TYPE = "age_check"

    sku: str
    agent: str
    outcome: str
    method: str


@dataclass(frozen=True)
class PhotoSent(_Event):
    """The customer sent a photo to the agent: that it happened and how large, never the photo
    (its cleaned copy lives in memory only while the case is open, server/photos)."""

    TYPE = "photo"

    photo_id: str
    width: int
    height: int
    size_bytes: int
    #: what the upload was: JPEG, PNG or WEBP (the agent always gets a cleaned JPEG)
    source_type: str


HistoryEvent = (
    CaseOpened | Queued | Offered | Answered | WrapUp | Closed | Abandoned | CallbackRequested
    | Overflowed | CallbackSuggested | ChatLineSent | ChatLineDelivered | CustomerEndedChat | CustomerDropped
    | FeedbackReceived | ChannelChanged | CallProposed | CallDeclined | CallConnected | CallFailed
    | MediaPathChosen | Marked | ConsentRecorded | AgeChecked | Transferred | NoteAdded
    | PhotoSent
)

HISTORY_EVENT_TYPES: tuple[type[HistoryEvent], ...] = get_args(HistoryEvent)

#: each type's payload fields, in order (every field but the time and the source state)
_PAYLOAD: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name not in _COLUMNS)
    for cls in HISTORY_EVENT_TYPES
}

#: the registry: stored type name → event class
BY_TYPE: dict[str, type[HistoryEvent]] = {cls.TYPE: cls for cls in HISTORY_EVENT_TYPES}

#: the event that leads into each state
INTO: dict[CaseState, type[HistoryEvent]] = {
    cls.TO: cls for cls in HISTORY_EVENT_TYPES
    if cls.TO is not None and not getattr(cls, "SECONDARY", False)
}


def photos_sent(case: Case, for_agent: bool) -> list[dict[str, Any]]:
    """The photos a case's customer sent, as the views list them. Never their bytes: the agent
    fetches ``url`` while the case is open; the customer's view only says that they were sent."""
    return [{"photo_id": e.photo_id, "at": e.at, "width": e.width, "height": e.height,
             "bytes": e.size_bytes, **({"url": f"/api/photos/{e.photo_id}"} if for_agent else {})}
            for e in case.events if isinstance(e, PhotoSent)]


# ---------------------------------------------------------------- folding


def apply(case: Case, event: HistoryEvent) -> None:
    """Fold one event into the case (see ``Case.apply``: the transition is checked first)."""
    case.apply(event)


def replay(events: Iterable[HistoryEvent]) -> Case:
    """The case a history describes, folded from its first event (which opens the case).

    An event the machine does not allow at that point raises ``InvalidTransition``.
    """
    history = iter(events)
    opened = next(history, None)
    if not isinstance(opened, CaseOpened):
        raise UnknownHistoryEvent("a case's history starts with the event that opened it")
    case = opened_case(opened)
    for event in history:
        case.apply(event)
    return case


def opened_case(opened: CaseOpened) -> Case:
    return Case(
        id=opened.id, store=opened.store, channel=opened.channel, context=dict(opened.context),
        queue=opened.queue, skills=frozenset(opened.skills), language=opened.language,
        first_channel=opened.first_channel, priority=opened.priority, created_at=opened.at,
        rule=opened.rule, kiosk_id=opened.kiosk_id, session_id=opened.session_id,
        events=[opened],
    )


def opening_of(case: Case) -> CaseOpened:
    """The event that opened a case built from its fields."""
    return CaseOpened(
        at=case.created_at, from_state=None, id=case.id, store=case.store, channel=case.channel,
        context=dict(case.context), queue=case.queue, skills=tuple(sorted(case.skills)),
        language=case.language, first_channel=case.first_channel, priority=case.priority,
        rule=case.rule, kiosk_id=case.kiosk_id, session_id=case.session_id,
    )


# ---------------------------------------------------------------- the codec


class Stored(NamedTuple):
    """An event as a ``case_events`` row holds it (beside the case id and sequence number)."""

    at: float
    type: str
    version: int
    payload: dict[str, Any]
    #: the projection reports read
    kind: str
    from_state: str | None
    to_state: str | None


_ADAPTERS: dict[type, TypeAdapter[Any]] = {cls: TypeAdapter(cls) for cls in HISTORY_EVENT_TYPES}


def _adapter(cls: type[HistoryEvent]) -> TypeAdapter[Any]:
    return _ADAPTERS[cls]


def encode(event: HistoryEvent) -> Stored:
    """The row of an event. Its fields are JSON values already (a tuple is written as a list),
    so this is cheap enough for every chat line; ``decode`` validates and converts back."""
    from_state = event.from_state
    to_state = event.to_state
    return Stored(event.at, event.TYPE, VERSION, event.detail, event.kind,
                  from_state.value if from_state is not None else None,
                  to_state.value if to_state is not None else None)


def decode(stored: Stored) -> HistoryEvent:
    """The typed event of a stored row written at ``VERSION``."""
    cls = BY_TYPE.get(stored.type)
    if cls is None or stored.version != VERSION:
        raise UnknownHistoryEvent(f"unknown case event type {stored.type!r} v{stored.version}")
    fields: dict[str, Any] = {**stored.payload, "at": stored.at}
    if cls.TO is not None:
        fields["from_state"] = stored.from_state
    event: HistoryEvent = _adapter(cls).validate_python(fields)
    return event


def decode_legacy(case_row: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> list[HistoryEvent]:
    """A history written before typed events (version 0): each row a ``kind`` and free-form
    ``detail``.

    Its first event carried nothing of the case and an answer not the agent's name: those come
    from the case's row, as the old rehydration took them (the first queue is where the first
    overflow left from).
    """
    events = [_legacy_event(row, case_row) for row in rows]
    first_overflow = next((e for e in events if isinstance(e, Overflowed)), None)
    if events and isinstance(events[0], CaseOpened) and first_overflow is not None:
        events[0] = dataclasses.replace(events[0], queue=first_overflow.from_queue)
    return events


def _legacy_event(row: Mapping[str, Any], case_row: Mapping[str, Any]) -> HistoryEvent:
    kind, to_state, detail = row["kind"], row["to_state"], dict(row["detail"] or {})
    cls: type[HistoryEvent]
    if kind == "transition":
        if to_state is None:
            raise UnknownHistoryEvent("a legacy transition without its target state")
        cls = INTO[CaseState(to_state)]
        fields: dict[str, Any] = {**detail, "at": row["at"], "from_state": row["from_state"]}
        if cls is CaseOpened:
            fields.update(_opened_fields(case_row))
        elif cls is Answered and detail.get("agent_id") == case_row.get("agent_id"):
            fields["agent_name"] = case_row.get("agent_name")
    else:
        found = BY_TYPE.get(kind)
        if found is None or found.TO is not None:
            raise UnknownHistoryEvent(f"unknown legacy case event kind {kind!r}")
        cls = found
        fields = {**detail, "at": row["at"]}
        if cls is Overflowed and detail.get("to_queue") == case_row.get("queue"):
            fields["skills"] = case_row.get("skills")
    event: HistoryEvent = _adapter(cls).validate_python(fields)
    return event


def _opened_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "store": row["store"], "channel": row["channel"],
            "context": dict(row["context"]), "queue": row["queue"], "skills": row["skills"],
            "language": row["language"], "first_channel": row["first_channel"],
            "priority": row["priority"], "rule": row["rule"], "kiosk_id": row["kiosk_id"],
            "session_id": row["session_id"]}
