"""Chat messages of a live case, in memory for quick access; each line is also a stored case event."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ChatMessage:
    id: str
    case_id: str
    sender: str  # "customer" | "agent"
    text: str
    at: float
    client_id: str | None = None
    quick_reply: str | None = None
    #: the other side's client has shown it (its sender's ✓✓); kept so a reload shows it again
    delivered: bool = False

    def as_payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "sender": self.sender,
            "text": self.text,
            "at": self.at,
            "client_id": self.client_id,
            "quick_reply": self.quick_reply,
            "delivery": "delivered" if self.delivered else "sent",
        }


class ChatHistory:
    """The last messages of every open case, so a reloaded page can show the conversation."""

    def __init__(self, per_case: int = 200) -> None:
        self._per_case = per_case
        self._messages: dict[str, deque[ChatMessage]] = {}
        self._count = 0

    def add(self, message: ChatMessage) -> None:
        self._messages.setdefault(message.case_id, deque(maxlen=self._per_case)).append(message)

    def by_client_id(self, case_id: str, sender: str, client_id: str) -> ChatMessage | None:
        """The line this client already sent under this id, if it is still kept."""
        for message in reversed(self._messages.get(case_id, ())):
            if message.client_id == client_id and message.sender == sender:
                return message
        return None

    def mark_delivered(self, case_id: str, message_id: str) -> ChatMessage | None:
        """Mark the line delivered; returns it, or None if it is unknown or was delivered already."""
        messages = self._messages.get(case_id)
        for index, message in enumerate(messages or ()):
            if message.id == message_id and messages is not None:
                if message.delivered:
                    return None
                messages[index] = marked = replace(message, delivered=True)
                return marked
        return None

    def of(self, case_id: str) -> list[ChatMessage]:
        return list(self._messages.get(case_id, ()))

    def forget(self, case_id: str) -> None:
        self._messages.pop(case_id, None)
