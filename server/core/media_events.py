"""What the media desk decided happened in a case's call, as typed events.

Like the case engine's events (events.py), these say what happened; server/signalling/wire.py
alone gives them their Socket.IO names and payloads. The media adapter may add the ICE servers a
participant is about to need (``with_ice``) before they are sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

#: ICE server lists (RTCIceServer dicts) per role ("customer", "agent")
IceServers = Mapping[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class MediaStateChanged:
    """The call's channel or session state changed: both sides are told."""

    case_id: str
    agent_id: str | None
    channel: str
    state: str
    reason: str | None = None
    by: str | None = None
    ice_servers: IceServers = field(default_factory=dict)

    @property
    def wants_ice(self) -> bool:
        return self.state == "negotiating"


@dataclass(frozen=True)
class MediaProposed:
    """One side proposes a call (or a bigger channel); the other decides with one tap."""

    case_id: str
    agent_id: str | None
    to_role: str
    channel: str
    by: str
    ice_servers: IceServers = field(default_factory=dict)

    @property
    def wants_ice(self) -> bool:
        return True


@dataclass(frozen=True)
class MediaDeclined:
    case_id: str
    agent_id: str | None
    to_role: str
    channel: str
    by: str


@dataclass(frozen=True)
class MediaHint:
    """Suggest a channel to the agent (after long chat, or on a verification mark)."""

    case_id: str
    agent_id: str
    suggest: str
    reason: str
    after_seconds: int | None = None


@dataclass(frozen=True)
class MediaMuted:
    """One side muted or unmuted its microphone or camera: the other side's display follows."""

    case_id: str
    agent_id: str | None
    to_role: str
    by: str
    audio: bool | None
    video: bool | None


MediaEvent = MediaStateChanged | MediaProposed | MediaDeclined | MediaHint | MediaMuted
#: the same union as a tuple, for isinstance checks
MEDIA_EVENT_TYPES: tuple[type, ...] = get_args(MediaEvent)


def with_ice(event: MediaStateChanged | MediaProposed, ice: IceServers) -> MediaEvent:
    return dataclasses.replace(event, ice_servers=dict(ice))
