"""The three kinds of Socket.IO message: to a case's customer, to one agent, to every agent.

Only the signalling layer builds them (wire.py), from the typed events the core decides.
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


Message = ToCustomer | ToAgent | ToAllAgents
