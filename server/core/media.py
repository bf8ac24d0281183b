"""Voice and video beside the chat: the media-session machine and the channel escalation policy.

Pure: no I/O, no clock of its own (every method takes `now`). The adapters in `server/media/`
own the peer connections and feed facts in (an offer arrived, a peer connected, a peer failed);
this module decides what the case's channel is, which media-session state the call is in, what
both sides are told, and what is recorded on the case.

Two things are tracked per case:

* the **channel** — chat → voice → video and back down. Going up needs the other side's consent
  (the agent proposes voice or video, the customer accepts with one tap or declines; the customer
  may ask for voice, the agent accepts or declines). Going down (video → voice) needs nobody's
  consent, and hanging up goes back to chat. Every change is recorded on the case as
  ``history.ChannelChanged(at, from_channel=…, to_channel=…, by=…)``.
* the **media session** — idle → negotiating → connected → ended, with failed. ``TRANSITIONS`` is
  the whole machine; anything else raises `InvalidMediaTransition` naming the current state. A
  call that ended or failed may start again (a new peer connection for the same case).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .case import Case, CaseState
from .effects import SaveCase
from .errors import HelpwireError
from .history import (
    CallConnected,
    CallDeclined,
    CallFailed,
    CallProposed,
    ChannelChanged,
    Marked,
    MediaPathChosen,
)
from .media_events import MediaDeclined, MediaEvent, MediaHint, MediaProposed, MediaStateChanged

#: what the media desk returns: what happened in the call, and the case to store
Outcome = MediaEvent | SaveCase

# ---------------------------------------------------------------------- errors


class InvalidMediaTransition(HelpwireError):
    code = "invalid_media_transition"

    def __init__(self, case_id: str, current: str, wanted: str) -> None:
        super().__init__(
            f"the media session of case {case_id} is {current}; it cannot go to {wanted} from there"
        )
        self.current = current
        self.wanted = wanted


class MediaNotAllowed(HelpwireError):
    """The policy refuses this step (wrong side, wrong channel, case not active, no call agreed)."""

    code = "media_not_allowed"


class NoMediaProposal(HelpwireError):
    code = "no_media_proposal"


# ---------------------------------------------------------------------- states


class Channel(enum.StrEnum):
    CHAT = "chat"
    VOICE = "voice"
    VIDEO = "video"


RANK: dict[Channel, int] = {Channel.CHAT: 0, Channel.VOICE: 1, Channel.VIDEO: 2}


class MediaState(enum.StrEnum):
    IDLE = "idle"
    NEGOTIATING = "negotiating"
    CONNECTED = "connected"
    ENDED = "ended"
    FAILED = "failed"


M = MediaState

#: The whole media-session machine. A call that ended or failed can be set up again.
TRANSITIONS: dict[MediaState, frozenset[MediaState]] = {
    M.IDLE: frozenset({M.NEGOTIATING, M.ENDED}),
    M.NEGOTIATING: frozenset({M.CONNECTED, M.ENDED, M.FAILED}),
    # a participant replaced their peer connection (reload, network change): negotiate again
    M.CONNECTED: frozenset({M.NEGOTIATING, M.ENDED, M.FAILED}),
    M.ENDED: frozenset({M.NEGOTIATING}),
    M.FAILED: frozenset({M.NEGOTIATING}),
}

ROLES: tuple[str, ...] = ("customer", "agent")


def other(role: str) -> str:
    return "agent" if role == "customer" else "customer"


@dataclass(frozen=True)
class MediaPolicy:
    #: suggest voice to the agent after this long in chat without resolution
    voice_hint_after_seconds: float = 60.0
    #: agent marks that make the console suggest video
    video_hint_marks: frozenset[str] = frozenset({"needs_verification", "visual_fault"})
    #: channels the customer may ask for themselves (the agent may propose any)
    customer_may_request: frozenset[Channel] = frozenset({Channel.VOICE})


@dataclass(frozen=True)
class Proposal:
    channel: Channel
    by: str
    at: float


@dataclass
class MediaCall:
    """The media side of one case."""

    case_id: str
    chat_since: float
    state: MediaState = M.IDLE
    channel: Channel = Channel.CHAT
    proposal: Proposal | None = None
    #: role → whether that participant's peer connection is connected
    peers: dict[str, bool] = field(default_factory=dict)
    voice_hinted: bool = False
    video_hinted: bool = False
    #: (at, from_state, to_state, reason) — in memory only, for tests and diagnostics
    history: list[tuple[float, MediaState, MediaState, str | None]] = field(default_factory=list)

    def can(self, target: MediaState) -> bool:
        return target in TRANSITIONS[self.state]

    def transition(self, target: MediaState, at: float, reason: str | None = None) -> None:
        if not self.can(target):
            raise InvalidMediaTransition(self.case_id, self.state.value, target.value)
        self.history.append((at, self.state, target, reason))
        self.state = target

    @property
    def live(self) -> bool:
        """A call is agreed (voice or video) and not over."""
        return self.state in (M.NEGOTIATING, M.CONNECTED)


class MediaDesk:
    """Every case's media call. Methods return effects for the hub; the case is mutated in place."""

    def __init__(self, policy: MediaPolicy | None = None) -> None:
        self.policy = policy or MediaPolicy()
        self.calls: dict[str, MediaCall] = {}

    # ------------------------------------------------------------------ helpers

    def call(self, case: Case, now: float) -> MediaCall:
        call = self.calls.get(case.id)
        if call is None:
            call = MediaCall(case.id, chat_since=case.entered(CaseState.ACTIVE) or now)
            self.calls[case.id] = call
        return call

    def view(self, case_id: str) -> dict[str, Any]:
        call = self.calls.get(case_id)
        if call is None:
            return {"case_id": case_id, "channel": Channel.CHAT.value, "state": M.IDLE.value,
                    "proposal": None}
        proposal = call.proposal
        return {
            "case_id": case_id,
            "channel": call.channel.value,
            "state": call.state.value,
            "proposal": None if proposal is None else {"channel": proposal.channel.value,
                                                       "by": proposal.by},
        }

    @staticmethod
    def _state_event(case: Case, call: MediaCall, reason: str | None = None,
                     by: str | None = None) -> list[Outcome]:
        return [MediaStateChanged(case.id, case.agent_id, call.channel.value, call.state.value,
                                  reason, by)]

    @staticmethod
    def _require_active(case: Case, what: str) -> None:
        if case.state is not CaseState.ACTIVE:
            raise MediaNotAllowed(
                f"case {case.id} is {case.state.value}; {what} needs an active case"
            )

    def _set_channel(self, case: Case, call: MediaCall, target: Channel, by: str, now: float,
                     reason: str | None = None) -> None:
        if call.channel is target:
            return
        case.apply(ChannelChanged(now, from_channel=call.channel.value, to_channel=target.value,
                                  by=by, reason=reason))
        call.channel = target
        if target is Channel.CHAT:
            call.chat_since = now
            call.voice_hinted = False

    def _start(self, case: Case, call: MediaCall, now: float, reason: str) -> None:
        """A call was agreed: (re)start negotiation; peers from an earlier call are forgotten."""
        call.peers = {}
        call.transition(M.NEGOTIATING, now, reason)

    # ------------------------------------------------------------------ escalation policy

    def start_voice_first(self, case: Case, now: float) -> list[Outcome]:
        """A voice-first case (e.g. offline mode, 24/7 on-call) starts in voice when accepted."""
        self._require_active(case, "a voice-first start")
        call = self.call(case, now)
        if call.live:
            return []
        call.proposal = None
        self._set_channel(case, call, Channel.VOICE, "rule", now, reason="voice_first")
        self._start(case, call, now, "voice_first")
        return [SaveCase(case.id), *self._state_event(case, call, reason="voice_first", by="rule")]

    def propose(self, case: Case, by: str, channel: Channel, now: float) -> list[Outcome]:
        """Ask for a channel. Upwards needs the other side's consent; downwards happens at once."""
        self._require_active(case, "a call")
        call = self.call(case, now)
        if channel is Channel.CHAT:
            raise MediaNotAllowed("to go back to chat, hang up (media_hangup)")
        if RANK[channel] == RANK[call.channel]:
            raise MediaNotAllowed(f"the case is already in {channel.value}")
        if RANK[channel] < RANK[call.channel]:
            # turning the camera off for both: nobody's consent is needed to reduce
            self._set_channel(case, call, channel, by, now)
            call.proposal = None
            return [SaveCase(case.id), *self._state_event(case, call, reason="downgrade", by=by)]
        if by == "customer" and channel not in self.policy.customer_may_request:
            allowed = ", ".join(sorted(c.value for c in self.policy.customer_may_request))
            raise MediaNotAllowed(f"a customer may ask for {allowed}; the agent proposes the rest")
        call.proposal = Proposal(channel, by, now)
        case.apply(CallProposed(now, channel=channel.value, by=by))
        return [SaveCase(case.id),
                MediaProposed(case.id, case.agent_id, other(by), channel.value, by)]

    def accept(self, case: Case, by: str, now: float) -> list[Outcome]:
        """The side that did not propose accepts: the channel changes and negotiation starts."""
        self._require_active(case, "a call")
        call = self.call(case, now)
        proposal = call.proposal
        if proposal is None or proposal.by == by:
            raise NoMediaProposal(f"there is no proposal from the other side of case {case.id}")
        call.proposal = None
        self._set_channel(case, call, proposal.channel, by, now)
        reason = "accepted"
        if not call.live:
            self._start(case, call, now, reason)
        return [SaveCase(case.id), *self._state_event(case, call, reason=reason, by=by)]

    def decline(self, case: Case, by: str, now: float) -> list[Outcome]:
        call = self.call(case, now)
        proposal = call.proposal
        if proposal is None or proposal.by == by:
            raise NoMediaProposal(f"there is no proposal from the other side of case {case.id}")
        call.proposal = None
        case.apply(CallDeclined(now, channel=proposal.channel.value, by=by))
        return [SaveCase(case.id),
                MediaDeclined(case.id, case.agent_id, proposal.by, proposal.channel.value, by)]

    # ------------------------------------------------------------------ the session

    def negotiate(self, case: Case, role: str, now: float, new_connection: bool) -> list[Outcome]:
        """A participant sent an offer. A new connection during a call means negotiating again."""
        self._require_active(case, "a media offer")
        call = self.call(case, now)
        if call.channel is Channel.CHAT or not call.live:
            raise MediaNotAllowed(
                f"case {case.id} has no call agreed (channel {call.channel.value}, session"
                f" {call.state.value}); propose or accept voice or video first"
            )
        if not new_connection:
            return []  # renegotiation on the same connection (a track added or removed)
        was = call.peers.get(role, False)
        call.peers[role] = False
        if call.state is M.CONNECTED and was:
            call.transition(M.NEGOTIATING, now, f"{role}_reconnecting")
            return self._state_event(case, call, reason=f"{role}_reconnecting")
        return []

    def peer_connected(self, case: Case, role: str, now: float) -> list[Outcome]:
        call = self.calls.get(case.id)
        if call is None or not call.live:
            return []
        call.peers[role] = True
        if call.state is M.NEGOTIATING and all(call.peers.get(r, False) for r in ROLES):
            call.transition(M.CONNECTED, now)
            case.apply(CallConnected(now, channel=call.channel.value))
            return [SaveCase(case.id), *self._state_event(case, call)]
        return []

    def peer_failed(self, case: Case, role: str, reason: str, now: float) -> list[Outcome]:
        """ICE/DTLS failed, media stopped, or the participant vanished: back to chat for both."""
        call = self.calls.get(case.id)
        if call is None or not call.live:
            return []
        channel = call.channel
        call.transition(M.FAILED, now, reason)
        call.proposal = None
        call.peers = {}
        case.apply(CallFailed(now, role=role, reason=reason, channel=channel.value))
        self._set_channel(case, call, Channel.CHAT, "system", now, reason=reason)
        return [SaveCase(case.id), *self._state_event(case, call, reason=reason)]

    def hangup(self, case: Case, by: str, now: float, reason: str = "hangup") -> list[Outcome]:
        """Back to chat; the case goes on."""
        call = self.calls.get(case.id)
        if call is None or (not call.live and call.proposal is None):
            state = "idle" if call is None else call.state.value
            raise InvalidMediaTransition(case.id, state, M.ENDED.value)
        call.proposal = None
        if call.live:
            call.transition(M.ENDED, now, reason)
            call.peers = {}
        self._set_channel(case, call, Channel.CHAT, by, now, reason=reason)
        return [SaveCase(case.id), *self._state_event(case, call, reason=reason, by=by)]

    def case_over(self, case: Case, now: float) -> list[Outcome]:
        """The conversation ended (wrap-up, closed, agent lost): end the call, forget it."""
        call = self.calls.pop(case.id, None)
        if call is None:
            return []
        out: list[Outcome] = []
        if call.live:
            call.transition(M.ENDED, now, "case_ended")
            self._set_channel(case, call, Channel.CHAT, "system", now, reason="case_ended")
            out = [SaveCase(case.id), *self._state_event(case, call, reason="case_ended")]
        return out

    def relay_path(self, case: Case, role: str, kind: str, path: str, codec_in: str,
                   codec_out: str, now: float) -> list[Outcome]:
        """How a stream crosses the server (forwarded as received, or transcoded), for operators:
        a transcoded stream costs many times the CPU of a forwarded one."""
        case.apply(MediaPathChosen(now, role=role, stream=kind, path=path, codec_in=codec_in,
                                   codec_out=codec_out))
        return [SaveCase(case.id)]

    # ------------------------------------------------------------------ hints

    def mark(self, case: Case, mark: str, now: float) -> list[Outcome]:
        """The agent marked the case (needs_verification, visual_fault, …): maybe suggest video."""
        self._require_active(case, "a mark")
        call = self.call(case, now)
        case.apply(Marked(now, mark=mark))
        out: list[Outcome] = [SaveCase(case.id)]
        if mark in self.policy.video_hint_marks and call.channel is not Channel.VIDEO:
            call.video_hinted = True
            if case.agent_id is not None:
                out.append(MediaHint(case.id, case.agent_id, Channel.VIDEO.value, mark))
        return out

    def tick(self, cases: Iterable[Case], now: float) -> list[Outcome]:
        """Suggest voice once per chat period that ran `voice_hint_after_seconds` unresolved."""
        out: list[Outcome] = []
        for case in cases:
            if case.state is not CaseState.ACTIVE or case.agent_id is None:
                continue
            call = self.call(case, now)
            if call.channel is not Channel.CHAT or call.voice_hinted or call.proposal is not None:
                continue
            if now - call.chat_since >= self.policy.voice_hint_after_seconds:
                call.voice_hinted = True
                out.append(MediaHint(case.id, case.agent_id, Channel.VOICE.value, "chat_duration",
                                     int(self.policy.voice_hint_after_seconds)))
        return out

    def forget(self, case_id: str) -> None:
        self.calls.pop(case_id, None)
