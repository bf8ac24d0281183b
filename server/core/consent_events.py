"""What happened to a consented track or an age check, and to a delivery announcing a decision.

Produced by the consent service (server/media/consent.py) and the outbox worker; like every
event, given its Socket.IO name and payload only in server/signalling/wire.py. ``view`` is the
grant as both sides see it (id, scope, state, remaining and answer times, sku).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args


@dataclass(frozen=True)
class ConsentPrompted:
    """The customer is asked, with the exact text, what they agree to and for how long."""

    case_id: str
    view: dict[str, Any]
    seconds: float
    text: dict[str, str]
    by: str


@dataclass(frozen=True)
class ConsentStateChanged:
    """A grant moved on (requested, granted): the agent, and once granted the customer, see it."""

    case_id: str
    agent_id: str | None
    view: dict[str, Any]
    by: str | None = None
    #: whether the customer is told too (they are not told of their own prompt a second time)
    customer_too: bool = True


@dataclass(frozen=True)
class ConsentEnded:
    case_id: str
    agent_id: str | None
    view: dict[str, Any]
    reason: str


@dataclass(frozen=True)
class AgeCheckDecided:
    """The agent's verdict; the customer's copy carries the denial text in both languages."""

    case_id: str
    agent_id: str
    result: dict[str, Any]
    customer_result: dict[str, Any]


@dataclass(frozen=True)
class ItemUnlocked:
    case_id: str
    sku: str


@dataclass(frozen=True)
class DeliveryStatusChanged:
    """An outbox delivery of the agent's case was attempted, delivered or given up."""

    agent_id: str
    view: dict[str, Any]


ConsentEvent = (
    ConsentPrompted | ConsentStateChanged | ConsentEnded | AgeCheckDecided | ItemUnlocked
    | DeliveryStatusChanged
)
#: the same union as a tuple, for isinstance checks
CONSENT_EVENT_TYPES: tuple[type, ...] = get_args(ConsentEvent)
