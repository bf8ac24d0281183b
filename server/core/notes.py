"""Agents' notes on a case, which the customer never sees: internal notes during the case, the
note that travels with a transfer, and the wrap-up note stored with the outcome.

A note's text is personal data: it is kept apart from the history (``case_notes``, like chat
text), only while the case is open unless transcript retention is on, and erased with the case
(docs/privacy.md). The history holds only that a note was written (``history.NoteAdded``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

NoteKind = Literal["internal", "transfer", "wrap_up"]
NOTE_KINDS: tuple[str, ...] = ("internal", "transfer", "wrap_up")


@dataclass(frozen=True)
class Note:
    id: str
    case_id: str
    agent_id: str
    agent_name: str | None
    kind: str
    text: str
    at: float

    def as_payload(self) -> dict[str, Any]:
        return {"id": self.id, "case_id": self.case_id, "agent_id": self.agent_id,
                "agent_name": self.agent_name, "kind": self.kind, "text": self.text,
                "at": self.at}


class NoteBook:
    """The notes of every open case, in memory, oldest first."""

    def __init__(self) -> None:
        self._notes: dict[str, list[Note]] = {}

    def add(self, note: Note) -> None:
        self._notes.setdefault(note.case_id, []).append(note)

    def of(self, case_id: str) -> list[Note]:
        return list(self._notes.get(case_id, ()))

    def has(self, case_id: str) -> bool:
        return bool(self._notes.get(case_id))

    def forget(self, case_id: str) -> None:
        self._notes.pop(case_id, None)
