"""Video age checks: what the agent may decide and the minimum that is stored about it.

Pure. Following data minimisation for age assurance, the stored record has exactly: the case,
the item (sku), the agent, the time, the outcome and the method ("video"). No picture, no frame,
no birth date, no description of the person; the denial reason is only told to the customer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    DENIED = "denied"


#: the short list an agent picks a denial reason from, with what the customer is told
DENIAL_REASONS: dict[str, dict[str, str]] = {
    "looks_underage": {
        "sv": "Vi kunde tyvärr inte bekräfta din ålder via video. Visa gärna legitimation i kassan.",
        "en": "We could not confirm your age over video. Please show ID at a staffed till.",
    },
    "no_id_shown": {
        "sv": "Vi behöver se en giltig legitimation. Försök gärna igen med legitimationen framme.",
        "en": "We need to see a valid ID. You are welcome to try again with your ID ready.",
    },
    "poor_video": {
        "sv": "Bilden var tyvärr för otydlig. Försök gärna igen i bättre ljus.",
        "en": "The picture was too unclear. You are welcome to try again in better light.",
    },
    "other": {
        "sv": "Vi kunde tyvärr inte godkänna köpet den här gången. Fråga gärna personalen.",
        "en": "We could not approve the purchase this time. Please ask the staff.",
    },
}

METHOD = "video"


@dataclass(frozen=True)
class AgeCheckRecord:
    case_id: str
    sku: str
    agent_id: str
    at: float
    outcome: Outcome
    method: str = METHOD

    def as_detail(self) -> dict[str, Any]:
        """The stored fields: nothing beyond these (the case and time are the event's own)."""
        return {"sku": self.sku, "agent": self.agent_id, "outcome": self.outcome.value,
                "method": self.method}


def denial_text(reason: str | None, language: str) -> str:
    texts = DENIAL_REASONS.get(reason or "other", DENIAL_REASONS["other"])
    return texts["en" if language == "en" else "sv"]
