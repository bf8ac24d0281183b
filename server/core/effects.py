"""The writes the core asks for: rows to store before anything is said about them.

The core never performs I/O; it returns these beside its typed events, and the persister commits
them (in order, group commit) before the hub lets the signalling layer speak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
class KeepNote:
    """The text of an agent's note (``core/notes.py``), kept apart from the history. Deleted when
    the case finishes (``ForgetNotes``) unless transcript retention is on."""

    case_id: str
    note_id: str
    at: float
    agent_id: str
    agent_name: str | None
    kind: str
    text: str


@dataclass(frozen=True)
class ForgetNotes:
    """The case finished and transcript retention is off: its notes' text goes with it."""

    case_id: str


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


#: the effects the persister writes; acknowledgements wait until they are committed
Stored = (SaveCase | SaveCallback | KeepTranscript | KeepChatText | KeepNote | QueueWebhook
          | ForgetCase | ForgetNotes)
#: the same, spelled out so isinstance() narrows to ``Stored`` (a test checks they agree)
STORED_TYPES = (SaveCase, SaveCallback, KeepTranscript, KeepChatText, KeepNote, QueueWebhook,
                ForgetCase, ForgetNotes)
