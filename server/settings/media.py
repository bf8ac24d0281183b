"""The settings section of voice and video (``[media]``, docs/media.md): ICE, limits, hints.

Media is never recorded; these say how peers find each other and when a call counts as lost.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class MediaSettings(BaseModel):
    """What the server's peers and the media desk are built with (server/media)."""

    model_config = {"extra": "forbid"}

    #: STUN servers handed to clients and used by the server's peers, e.g. ["stun:turn.example.com:3478"]
    ice_stun_urls: list[str] = Field(default_factory=list)
    #: TURN servers, e.g. ["turn:turn.example.com:3478?transport=udp"]; need ice_turn_secret
    ice_turn_urls: list[str] = Field(default_factory=list)
    #: coturn's static-auth-secret (use-auth-secret): TURN credentials are derived from it
    ice_turn_secret: str = ""
    #: how long derived TURN credentials stay valid (minted when a call starts)
    ice_turn_ttl_seconds: int = Field(4 * 3600, ge=60)
    #: host-candidate addresses the server's peers offer; empty = every interface but loopback
    #: (aioice's choice). Set ["127.0.0.1"] for single-host installs and tests.
    host_addresses: list[str] = Field(default_factory=list)
    #: a call participant from whom no RTP packet (on any of their tracks) arrived for this long
    #: is lost: the call fails for both with reason media_inactive and goes back to chat. Audio
    #: keeps flowing while muted (silence or DTX, ≥ 2.5 packets/s), so a frozen or cut-off device
    #: is told apart from a camera turned off (docs/media.md "Inactivity watchdog")
    inactivity_seconds: float = Field(3.0, gt=0)
    #: largest accepted SDP in media_offer, in bytes
    max_sdp_bytes: int = Field(64 * 1024, ge=1024)
    #: how long closing one server-side peer connection may take before it is logged as failed
    #: and left behind (the call ends regardless)
    peer_close_seconds: float = Field(5.0, gt=0, le=60)
    #: suggest voice to the agent after this long in chat without resolution
    voice_hint_after_seconds: float = Field(60.0, gt=0)
    #: agent marks (media_mark) that make the console suggest video
    video_hint_marks: list[str] = Field(
        default_factory=lambda: ["needs_verification", "visual_fault"]
    )
