"""What the engine decided, for the adapters to carry out: messages to send, rows to store.

The engine never performs I/O; it returns these, and the signalling layer executes them in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToCustomer:
    case_id: str
    event: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToAgent:
    agent_id: str
    event: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToAllAgents:
    event: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveCase:
    case_id: str


@dataclass(frozen=True)
class SaveCallback:
    case_id: str
    requested_at: float
    reason: str
    contact: str | None
    cart: dict[str, Any]
    cart_expires_at: float


@dataclass(frozen=True)
class KeepTranscript:
    """Only produced when the operator turned transcript retention on."""

    case_id: str
    at: float
    sender: str
    text: str


@dataclass(frozen=True)
class KeepChatText:
    """The text of a line of an open case, kept so the conversation survives a restart.

    Deleted when the case finishes (``ForgetCase``); only transcript retention keeps text longer.
    """

    case_id: str
    message_id: str
    text: str


@dataclass(frozen=True)
class QueueWebhook:
    """A delivery announcing a decision (an outbox row), stored in the decision's transaction.

    ``payload`` is the whole JSON body; ``delivery_id`` is also sent as X-Helpwire-Delivery.
    """

    delivery_id: str
    kind: str
    target: str
    payload: dict[str, Any]
    created_at: float
    case_id: str | None = None


@dataclass(frozen=True)
class ForgetCase:
    """The case is over for its participants: the adapter drops its live resources and the
    stored text of its open conversation."""

    case_id: str


Effect = (
    ToCustomer | ToAgent | ToAllAgents | SaveCase | SaveCallback | KeepTranscript | KeepChatText
    | QueueWebhook | ForgetCase
)

#: the effects the persister writes; acknowledgements wait until they are committed
Stored = SaveCase | SaveCallback | KeepTranscript | KeepChatText | QueueWebhook | ForgetCase
STORED_TYPES = (SaveCase, SaveCallback, KeepTranscript, KeepChatText, QueueWebhook, ForgetCase)
