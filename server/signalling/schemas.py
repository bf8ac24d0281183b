"""The schema of every incoming Socket.IO event. docs/protocol.md describes the same shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.context import CaseContext
from ..core.text import Line, MultiLine

ClientId = Annotated[Line, Field(min_length=1, max_length=64)]
CaseId = Annotated[Line, Field(min_length=1, max_length=64)]
ChatText = Annotated[MultiLine, Field(min_length=1)]


class Event(BaseModel):
    """Strict: no coercion ("10" is not a number, true is not 1, "yes" is not a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Empty(Event):
    pass


class HelpRequest(Event):
    context: CaseContext


class ChatSend(Event):
    text: ChatText
    client_id: ClientId | None = None


class Typing(Event):
    active: bool


class ChatReceived(Event):
    message_id: CaseId


class CallbackRequest(Event):
    contact: Annotated[Line, Field(max_length=100)] | None = None


class Feedback(Event):
    rating: Annotated[int, Field(ge=1, le=5)]
    text: MultiLine | None = None


# --- agent -------------------------------------------------------------------


class PresenceSet(Event):
    presence: Literal["available", "busy", "away"]


class CaseRef(Event):
    case_id: CaseId


class AgentChatSend(Event):
    case_id: CaseId
    text: ChatText | None = None
    quick_reply: Annotated[Line, Field(min_length=1, max_length=64)] | None = None
    client_id: ClientId | None = None


class AgentTyping(Event):
    case_id: CaseId
    active: bool


class AgentChatReceived(Event):
    case_id: CaseId
    message_id: CaseId


NoteText = Annotated[MultiLine, Field(min_length=1)]


class CaseClose(Event):
    case_id: CaseId
    label: Annotated[Line, Field(min_length=1, max_length=64)]
    resolved: bool
    #: the wrap-up note, stored with the outcome (max_note_chars, checked by the handler)
    note: NoteText | None = None


class CaseTransfer(Event):
    """Hand an active case to a named colleague or to a queue (exactly one of the two)."""

    case_id: CaseId
    to_agent_id: CaseId | None = None
    to_queue: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    note: NoteText | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CaseTransfer:
        if (self.to_agent_id is None) == (self.to_queue is None):
            raise ValueError("name exactly one of to_agent_id and to_queue")
        return self


class NoteAdd(Event):
    case_id: CaseId
    text: NoteText


class Resume(Event):
    case_token: Annotated[Line, Field(min_length=1, max_length=512)]
