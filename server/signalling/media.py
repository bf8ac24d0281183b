"""Voice and video events for /customer, /kiosk and /agent (docs/protocol.md, section Media).

The browser is the offerer: it sends `media_offer` and gets the server's answer in the
acknowledgement; it trickles its candidates with `media_candidate` (the server's candidates are in
its answer: aiortc gathers them all before answering). Renegotiation is a new offer on the same
connection; a new RTCPeerConnection (new ICE credentials) replaces the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field

from ..core.errors import NotYourCase
from ..core.text import Line, SdpText
from ..media.sessions import MediaSessions
from .base import Route
from .errors import InvalidPayload
from .schemas import CaseId, Event

Sdp = Annotated[SdpText, Field(min_length=1)]
CandidateText = Annotated[Line, Field(max_length=1024)]
Mid = Annotated[Line, Field(max_length=64)]
MLineIndex = Annotated[int, Field(ge=0, le=1023)]
Mark = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
ConsentScope = Literal["screen_share", "age_check_video"]
GrantId = Annotated[Line, Field(min_length=1, max_length=64)]
Sku = Annotated[Line, Field(min_length=1, max_length=64)]
#: mid → consent scope of the offer's consented m-lines (docs/protocol.md, Consent)
Labels = Annotated[dict[Mid, ConsentScope], Field(max_length=4)]


class MediaRequest(Event):
    channel: Literal["voice", "video"]


class MediaNone(Event):
    pass


class MediaOffer(Event):
    sdp: Sdp
    type: Literal["offer"]
    labels: Labels | None = None


class ConsentAnswer(Event):
    grant_id: GrantId
    approve: bool


class ConsentRevoke(Event):
    grant_id: GrantId


class AgeCheckRequest(Event):
    sku: Sku


class AgentConsentRequest(Event):
    case_id: CaseId
    scope: ConsentScope
    sku: Sku | None = None


class AgentConsentRevoke(ConsentRevoke):
    case_id: CaseId


class AgentAgeCheckDecision(Event):
    case_id: CaseId
    grant_id: GrantId
    outcome: Literal["approved", "denied"]
    reason: Literal["looks_underage", "no_id_shown", "poor_video", "other"] | None = None


class MediaCandidate(Event):
    candidate: CandidateText
    sdpMid: Mid | None = None  # noqa: N815 (the browser's RTCIceCandidateInit names)
    sdpMLineIndex: MLineIndex | None = None  # noqa: N815
    usernameFragment: Annotated[Line, Field(max_length=256)] | None = None  # noqa: N815


class MediaMute(Event):
    audio: bool | None = None
    video: bool | None = None


class AgentMediaPropose(MediaRequest):
    case_id: CaseId


class AgentMediaRef(Event):
    case_id: CaseId


class AgentMediaOffer(MediaOffer):
    case_id: CaseId


class AgentMediaCandidate(MediaCandidate):
    case_id: CaseId


class AgentMediaMute(MediaMute):
    case_id: CaseId


class AgentMediaMark(Event):
    case_id: CaseId
    mark: Mark


CUSTOMER_MEDIA_ROUTES: dict[str, Route] = {
    "media_config": Route(MediaNone, "media_config"),
    "media_request": Route(MediaRequest, "media_request"),
    "media_accept": Route(MediaNone, "media_accept"),
    "media_decline": Route(MediaNone, "media_decline"),
    "media_offer": Route(MediaOffer, "media_offer", extra_bytes_setting="media.max_sdp_bytes"),
    "media_candidate": Route(MediaCandidate, "media_candidate"),
    "media_hangup": Route(MediaNone, "media_hangup"),
    "media_mute": Route(MediaMute, "media_mute"),
    "consent_answer": Route(ConsentAnswer, "consent_answer"),
    "consent_revoke": Route(ConsentRevoke, "consent_revoke"),
    "age_check_request": Route(AgeCheckRequest, "age_check_request"),
}

AGENT_MEDIA_ROUTES: dict[str, Route] = {
    "media_config": Route(MediaNone, "media_config"),
    "media_propose": Route(AgentMediaPropose, "media_propose"),
    "media_accept": Route(AgentMediaRef, "media_accept"),
    "media_decline": Route(AgentMediaRef, "media_decline"),
    "media_offer": Route(AgentMediaOffer, "media_offer", extra_bytes_setting="media.max_sdp_bytes"),
    "media_candidate": Route(AgentMediaCandidate, "media_candidate"),
    "media_hangup": Route(AgentMediaRef, "media_hangup"),
    "media_mute": Route(AgentMediaMute, "media_mute"),
    "media_mark": Route(AgentMediaMark, "media_mark"),
    "consent_request": Route(AgentConsentRequest, "consent_request"),
    "consent_revoke": Route(AgentConsentRevoke, "consent_revoke"),
    "age_check_decision": Route(AgentAgeCheckDecision, "age_check_decision", writes=True),
}


def _media(namespace: Any) -> MediaSessions:
    return namespace.services.media  # type: ignore[no-any-return]


def _check_sdp(namespace: Any, sdp: str) -> None:
    limit = namespace.services.settings.media.max_sdp_bytes
    size = len(sdp.encode())
    if size > limit:
        raise InvalidPayload(f"the SDP has {size} bytes; the limit is {limit} (setting media.max_sdp_bytes)")


class CustomerMediaMixin:
    """Media handlers of the customer's socket; the case is the socket's case."""

    services: Any
    _case: Callable[[str], str]  # CustomerNamespace's: the socket's case, or no_open_case

    async def media_config(self, sid: str, event: MediaNone) -> dict[str, Any]:
        case_id = self._case(sid)
        return {"ice_servers": _media(self).ice_servers(f"case-{case_id}"),
                "media": _media(self).view(case_id)}

    async def media_request(self, sid: str, event: MediaRequest) -> dict[str, Any]:
        return {"media": await _media(self).propose(self._case(sid), "customer", event.channel)}

    async def media_accept(self, sid: str, event: MediaNone) -> dict[str, Any]:
        return {"media": await _media(self).accept(self._case(sid), "customer")}

    async def media_decline(self, sid: str, event: MediaNone) -> dict[str, Any]:
        return {"media": await _media(self).decline(self._case(sid), "customer")}

    async def media_offer(self, sid: str, event: MediaOffer) -> dict[str, Any]:
        _check_sdp(self, event.sdp)
        answer = await _media(self).offer(self._case(sid), "customer", sid, event.sdp, event.labels)
        return {"answer": answer}

    async def consent_answer(self, sid: str, event: ConsentAnswer) -> dict[str, Any]:
        consent = _media(self).consent
        return {"grant": await consent.answer(self._case(sid), event.grant_id, event.approve)}

    async def consent_revoke(self, sid: str, event: ConsentRevoke) -> dict[str, Any]:
        consent = _media(self).consent
        return {"grant": await consent.revoke(self._case(sid), event.grant_id, "customer")}

    async def age_check_request(self, sid: str, event: AgeCheckRequest) -> dict[str, Any]:
        consent = _media(self).consent
        grant = await consent.request(self._case(sid), "age_check_video", "customer", event.sku)
        return {"grant": grant}

    async def media_candidate(self, sid: str, event: MediaCandidate) -> None:
        await _media(self).candidate(self._case(sid), "customer", sid, event.candidate,
                                     event.sdpMid, event.sdpMLineIndex)

    async def media_hangup(self, sid: str, event: MediaNone) -> dict[str, Any]:
        return {"media": await _media(self).hangup(self._case(sid), "customer")}

    async def media_mute(self, sid: str, event: MediaMute) -> None:
        await _media(self).mute(self._case(sid), "customer", event.audio, event.video)

    def media_ice_servers(self, case_id: str) -> list[dict[str, Any]]:
        return _media(self).ice_servers(f"case-{case_id}")

    async def media_socket_gone(self, sid: str) -> None:
        await _media(self).socket_gone(sid)


class AgentMediaMixin:
    """Media handlers of the agent's socket; every event names its case."""

    services: Any
    _me: Callable[[str], Any]  # AgentNamespace's: the signed-in agent, or not_authenticated

    def _own_case(self, sid: str, case_id: str) -> str:
        me = self._me(sid)
        case = self.services.engine.case(case_id)
        if case.agent_id != me.id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        return case_id

    async def media_config(self, sid: str, event: MediaNone) -> dict[str, Any]:
        me = self._me(sid)
        return {"ice_servers": _media(self).ice_servers(me.id)}

    async def media_propose(self, sid: str, event: AgentMediaPropose) -> dict[str, Any]:
        case_id = self._own_case(sid, event.case_id)
        return {"media": await _media(self).propose(case_id, "agent", event.channel)}

    async def media_accept(self, sid: str, event: AgentMediaRef) -> dict[str, Any]:
        return {"media": await _media(self).accept(self._own_case(sid, event.case_id), "agent")}

    async def media_decline(self, sid: str, event: AgentMediaRef) -> dict[str, Any]:
        return {"media": await _media(self).decline(self._own_case(sid, event.case_id), "agent")}

    async def media_offer(self, sid: str, event: AgentMediaOffer) -> dict[str, Any]:
        _check_sdp(self, event.sdp)
        case_id = self._own_case(sid, event.case_id)
        return {"answer": await _media(self).offer(case_id, "agent", sid, event.sdp, event.labels)}

    async def consent_request(self, sid: str, event: AgentConsentRequest) -> dict[str, Any]:
        case_id = self._own_case(sid, event.case_id)
        grant = await _media(self).consent.request(case_id, event.scope, "agent", event.sku)
        return {"grant": grant}

    async def consent_revoke(self, sid: str, event: AgentConsentRevoke) -> dict[str, Any]:
        case_id = self._own_case(sid, event.case_id)
        return {"grant": await _media(self).consent.revoke(case_id, event.grant_id, "agent")}

    async def age_check_decision(self, sid: str, event: AgentAgeCheckDecision) -> dict[str, Any]:
        case_id = self._own_case(sid, event.case_id)
        agent_id = self._me(sid).id
        result = await _media(self).consent.decide(case_id, event.grant_id, agent_id,
                                                   event.outcome, event.reason)
        await self.services.privacy.access_log.record(
            "agent", agent_id,
            "age_check_approved" if event.outcome == "approved" else "age_check_denied",
            case_id=case_id, reason=event.reason)
        return {"result": result}

    async def media_candidate(self, sid: str, event: AgentMediaCandidate) -> None:
        case_id = self._own_case(sid, event.case_id)
        await _media(self).candidate(case_id, "agent", sid, event.candidate,
                                     event.sdpMid, event.sdpMLineIndex)

    async def media_hangup(self, sid: str, event: AgentMediaRef) -> dict[str, Any]:
        return {"media": await _media(self).hangup(self._own_case(sid, event.case_id), "agent")}

    async def media_mute(self, sid: str, event: AgentMediaMute) -> None:
        case_id = self._own_case(sid, event.case_id)
        await _media(self).mute(case_id, "agent", event.audio, event.video)

    async def media_mark(self, sid: str, event: AgentMediaMark) -> dict[str, Any]:
        return {"media": await _media(self).mark(self._own_case(sid, event.case_id), event.mark)}

    def media_ice_servers(self, agent_id: str) -> list[dict[str, Any]]:
        return _media(self).ice_servers(agent_id)

    async def media_socket_gone(self, sid: str, agent_id: str | None, last: bool) -> None:
        media = _media(self)
        await media.socket_gone(sid)
        if agent_id is not None and last:
            await media.agent_gone(agent_id)
