"""What the case engine decided happened, as typed domain events.

The engine returns these beside the writes of ``effects.py``. Only the signalling layer turns them
into wire messages (``server/signalling/wire.py``: which event name, which room, which payload);
media, consent, metrics and the supervisor view observe the events themselves, never wire strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from .chat import ChatMessage
from .notes import Note

# ---------------------------------------------------------------- the customer's wait


@dataclass(frozen=True)
class QueuePosition:
    """A waiting customer's place or ETA changed (or their new socket needs it again)."""

    case_id: str
    queue: str
    title_sv: str
    title_en: str
    position: int
    eta_seconds: int | None
    promise_seconds: int


@dataclass(frozen=True)
class QueuesChanged:
    """What agents see of the queues changed: who waits where, who can serve."""

    overview: dict[str, Any]


@dataclass(frozen=True)
class CallbackOffered:
    """The promise is at risk: the customer may choose a callback instead of waiting."""

    case_id: str
    reason: str


@dataclass(frozen=True)
class CallbackConfirmed:
    case_id: str
    cart_hold_seconds: int


@dataclass(frozen=True)
class TechnicalError:
    """Nobody can serve the case (or the connection broke beyond repair): we call back."""

    case_id: str
    reason: str
    cart_hold_seconds: int


# ---------------------------------------------------------------- offers and answers


@dataclass(frozen=True)
class OfferMade:
    agent_id: str
    case_id: str
    queue: str
    expires_in: float
    waited_seconds: float
    summary: dict[str, Any]
    #: set on the offer of a transferred case: who handed it on, to whom, and the note
    transfer: dict[str, Any] | None = None


@dataclass(frozen=True)
class OfferWithdrawn:
    agent_id: str
    case_id: str
    reason: str


@dataclass(frozen=True)
class AgentJoined:
    """An agent answered: the customer learns who is coming."""

    case_id: str
    agent_id: str
    agent_name: str | None
    first_channel: str


@dataclass(frozen=True)
class CaseAssigned:
    """The agent has this case (on accepting, and again after every reconnect)."""

    agent_id: str
    view: dict[str, Any]


@dataclass(frozen=True)
class PresenceChanged:
    agent_id: str
    presence: str
    #: why the server changed it, when it did (e.g. ``missed_offer``)
    reason: str | None = None


# ---------------------------------------------------------------- participants coming and going


@dataclass(frozen=True)
class CustomerConnection:
    """The customer's connection of an active case went away or came back."""

    case_id: str
    agent_id: str
    connected: bool


@dataclass(frozen=True)
class CustomerLost:
    """The customer did not come back within the grace period."""

    case_id: str
    agent_id: str


@dataclass(frozen=True)
class AgentLost:
    """The agent did not come back within the grace period: the case waits again, first."""

    case_id: str


# ---------------------------------------------------------------- the conversation


@dataclass(frozen=True)
class ChatLine:
    """A line for the other side: the customer if an agent wrote it, else the answering agent."""

    message: ChatMessage
    agent_id: str | None


@dataclass(frozen=True)
class AgentGreeted:
    """The automatic greeting, a normal agent line; unlike a typed line it is said only after the
    commit, so it reaches the customer after ``AgentJoined``."""

    message: ChatMessage
    agent_id: str

    @property
    def case_id(self) -> str:
        return self.message.case_id


@dataclass(frozen=True)
class ChatDelivered:
    """The other side's client has shown the line: its sender sees a delivery mark."""

    case_id: str
    message_id: str
    client_id: str | None
    sender: str
    agent_id: str | None


@dataclass(frozen=True)
class Typing:
    case_id: str
    sender: str
    active: bool
    agent_id: str


@dataclass(frozen=True)
class CustomerEnded:
    """The customer ended an active conversation."""

    case_id: str
    agent_id: str


@dataclass(frozen=True)
class WrapUpStarted:
    """The conversation is over: the customer is asked for feedback."""

    case_id: str
    feedback_seconds: int


@dataclass(frozen=True)
class CaseClosed:
    case_id: str
    agent_id: str
    resolved: bool


@dataclass(frozen=True)
class FeedbackGiven:
    case_id: str
    agent_id: str
    rating: int


# ---------------------------------------------------------------- transfer and notes


@dataclass(frozen=True)
class CaseTransferred:
    """The case was handed on: the customer is told who takes over (or, to a queue, that they are
    being put through), keeping their place."""

    case_id: str
    from_agent_id: str
    to_agent_name: str | None
    queue: str
    title_sv: str
    title_en: str


@dataclass(frozen=True)
class TransferFailed:
    """The colleague a case was transferred to did not take it (declined, let the offer lapse,
    went away): the sender learns the case now waits first in its queue for anyone."""

    agent_id: str
    case_id: str
    to_agent: str
    reason: str


@dataclass(frozen=True)
class NoteShared:
    """An internal note, for the case's agent (their other consoles); never for the customer."""

    agent_id: str
    note: Note


@dataclass(frozen=True)
class PhotoShared:
    """The customer sent a photo: its agent may fetch the cleaned copy (never stored)."""

    case_id: str
    agent_id: str
    photo_id: str
    at: float
    width: int
    height: int
    size_bytes: int
    media_type: str


DomainEvent = (
    QueuePosition | QueuesChanged | CallbackOffered | CallbackConfirmed | TechnicalError
    | OfferMade | OfferWithdrawn | AgentJoined | CaseAssigned | PresenceChanged
    | CustomerConnection | CustomerLost | AgentLost | ChatLine | AgentGreeted | ChatDelivered | Typing
    | CustomerEnded | WrapUpStarted | CaseClosed | FeedbackGiven | CaseTransferred
    | TransferFailed | NoteShared | PhotoShared
)

#: the same union as a tuple, for isinstance checks
DOMAIN_EVENT_TYPES: tuple[type, ...] = get_args(DomainEvent)


def case_of(item: object) -> str | None:
    """The case an event or write is about, if it is about one case."""
    if isinstance(item, ChatLine):
        return item.message.case_id
    case_id = getattr(item, "case_id", None)
    return case_id if isinstance(case_id, str) else None


#: Sent the moment they are decided, before the batch's writes are committed: a chat line reaches
#: the other side as fast as a bare relay would carry it, while its sender's acknowledgement still
#: waits for the commit. If the server dies in between, the sender re-sends the unacknowledged
#: line under the same client id, which gives it the same message id: nobody sees it twice.
SENT_BEFORE_COMMIT: tuple[type, ...] = (ChatLine, Typing, ChatDelivered)
