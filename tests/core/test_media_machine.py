"""The media-session machine and the channel escalation policy, without sockets, with injected times."""

from __future__ import annotations

from typing import Any

import pytest

from server.core.case import Case, CaseState
from server.core.effects import SaveCase
from server.core.media import (
    TRANSITIONS,
    Channel,
    InvalidMediaTransition,
    MediaCall,
    MediaDesk,
    MediaNotAllowed,
    MediaPolicy,
    MediaState,
    NoMediaProposal,
)
from server.signalling.messages import ToAgent, ToCustomer
from server.signalling.wire import wire_of

T0 = 1_800_000_000.0


def active_case(case_id: str = "c1", at: float = T0, first_channel: str = "chat") -> Case:
    case = Case(id=case_id, store="s", channel="web", context={}, queue="general",
                skills=frozenset(), language="sv", first_channel=first_channel, priority=0,
                created_at=at - 10)
    case.transition(CaseState.QUEUED, at - 9)
    case.transition(CaseState.OFFERED, at - 2, agent_id="a1")
    case.transition(CaseState.ACTIVE, at, agent_id="a1")
    return case


def channel_history(case: Case) -> list[tuple[float, str, str, str]]:
    return [(e.at, e.detail["from_channel"], e.detail["to_channel"], e.detail["by"])
            for e in case.events if e.kind == "channel"]


def events_named(effects: list[Any], name: str) -> list[Any]:
    """The wire messages named ``name`` that the desk's events become (signalling/wire.py)."""
    return [e for e in wire_of(effects) if isinstance(e, (ToAgent, ToCustomer)) and e.event == name]


def test_every_transition_is_in_one_table_and_others_raise_naming_the_state() -> None:
    states = set(MediaState)
    assert set(TRANSITIONS) == states
    for source in states:
        for target in states:
            call = MediaCall("c1", chat_since=T0, state=source)
            if target in TRANSITIONS[source]:
                call.transition(target, T0)
                assert call.state is target
            else:
                with pytest.raises(InvalidMediaTransition) as info:
                    call.transition(target, T0)
                assert info.value.code == "invalid_media_transition"
                assert source.value in info.value.message
                assert info.value.current == source.value


def test_agent_proposes_customer_accepts_then_video_then_hangup_records_channels_in_order() -> None:
    desk, case = MediaDesk(), active_case()
    out = desk.propose(case, "agent", Channel.VOICE, T0 + 5)
    proposed = events_named(out, "media_proposed")
    assert [type(e) for e in proposed] == [ToCustomer]
    assert proposed[0].payload == {"case_id": "c1", "channel": "voice", "by": "agent"}
    assert desk.calls["c1"].state is MediaState.IDLE  # nothing changes before consent

    out = desk.accept(case, "customer", T0 + 6)
    assert SaveCase("c1") in out
    states = events_named(out, "media_state")
    assert {type(e) for e in states} == {ToCustomer, ToAgent}
    assert states[0].payload["state"] == "negotiating" and states[0].payload["channel"] == "voice"

    desk.negotiate(case, "customer", T0 + 6.1, new_connection=True)
    desk.negotiate(case, "agent", T0 + 6.2, new_connection=True)
    assert desk.peer_connected(case, "customer", T0 + 6.5) == []  # one side is not enough
    out = desk.peer_connected(case, "agent", T0 + 6.6)
    assert events_named(out, "media_state")[0].payload["state"] == "connected"

    desk.propose(case, "agent", Channel.VIDEO, T0 + 20)
    out = desk.accept(case, "customer", T0 + 21)
    assert desk.view("c1")["state"] == "connected"  # renegotiation on the same connection
    assert events_named(out, "media_state")[0].payload["channel"] == "video"

    out = desk.hangup(case, "customer", T0 + 40)
    assert desk.view("c1")["state"] == "ended"
    assert events_named(out, "media_state")[0].payload == {
        "case_id": "c1", "channel": "chat", "state": "ended", "reason": "hangup", "by": "customer"}
    assert channel_history(case) == [
        (T0 + 6, "chat", "voice", "customer"),
        (T0 + 21, "voice", "video", "customer"),
        (T0 + 40, "video", "chat", "customer"),
    ]
    assert case.state is CaseState.ACTIVE  # the case goes on in chat


def test_customer_may_ask_for_voice_but_not_video_and_cannot_accept_own_request() -> None:
    desk, case = MediaDesk(), active_case()
    with pytest.raises(MediaNotAllowed):
        desk.propose(case, "customer", Channel.VIDEO, T0 + 1)
    out = desk.propose(case, "customer", Channel.VOICE, T0 + 1)
    assert [type(e) for e in events_named(out, "media_proposed")] == [ToAgent]
    with pytest.raises(NoMediaProposal):
        desk.accept(case, "customer", T0 + 2)
    desk.accept(case, "agent", T0 + 3)
    assert desk.calls["c1"].channel is Channel.VOICE


def test_decline_keeps_chat_and_tells_the_proposer() -> None:
    desk, case = MediaDesk(), active_case()
    desk.propose(case, "agent", Channel.VIDEO, T0 + 1)
    out = desk.decline(case, "customer", T0 + 2)
    declined = events_named(out, "media_declined")
    assert [type(e) for e in declined] == [ToAgent]
    assert desk.calls["c1"].channel is Channel.CHAT
    assert desk.calls["c1"].state is MediaState.IDLE
    assert channel_history(case) == []
    with pytest.raises(NoMediaProposal):
        desk.accept(case, "customer", T0 + 3)


def test_downgrade_needs_no_consent_and_chat_needs_a_hangup() -> None:
    desk, case = MediaDesk(), active_case()
    desk.propose(case, "agent", Channel.VIDEO, T0 + 1)
    desk.accept(case, "customer", T0 + 2)
    out = desk.propose(case, "customer", Channel.VOICE, T0 + 3)
    assert events_named(out, "media_state")[0].payload["channel"] == "voice"
    with pytest.raises(MediaNotAllowed):
        desk.propose(case, "agent", Channel.CHAT, T0 + 4)
    with pytest.raises(MediaNotAllowed):
        desk.propose(case, "agent", Channel.VOICE, T0 + 4)  # already in voice
    assert [h[1:3] for h in channel_history(case)] == [("chat", "video"), ("video", "voice")]


def test_voice_first_case_starts_in_voice_by_rule() -> None:
    desk, case = MediaDesk(), active_case(first_channel="voice")
    out = desk.start_voice_first(case, T0)
    state = events_named(out, "media_state")[0].payload
    assert state["channel"] == "voice" and state["state"] == "negotiating"
    assert state["reason"] == "voice_first"
    assert channel_history(case) == [(T0, "chat", "voice", "rule")]
    assert desk.start_voice_first(case, T0 + 1) == []  # idempotent while the call is live


def test_failure_goes_back_to_chat_records_it_and_a_new_call_can_start() -> None:
    desk, case = MediaDesk(), active_case()
    desk.propose(case, "agent", Channel.VOICE, T0 + 1)
    desk.accept(case, "customer", T0 + 2)
    desk.peer_connected(case, "customer", T0 + 3)
    desk.peer_connected(case, "agent", T0 + 3)
    out = desk.peer_failed(case, "customer", "ice_failed", T0 + 10)
    payload = events_named(out, "media_state")[0].payload
    assert payload["state"] == "failed" and payload["channel"] == "chat"
    assert payload["reason"] == "ice_failed"
    failed = [e for e in case.events if e.kind == "media_failed"]
    assert failed and failed[0].detail == {"role": "customer", "reason": "ice_failed",
                                           "channel": "voice"}
    assert desk.peer_failed(case, "agent", "ice_failed", T0 + 11) == []  # reported once
    desk.propose(case, "agent", Channel.VOICE, T0 + 20)
    desk.accept(case, "customer", T0 + 21)
    assert desk.calls["c1"].state is MediaState.NEGOTIATING
    assert desk.calls["c1"].peers == {}


def test_offer_without_an_agreed_call_is_refused() -> None:
    desk, case = MediaDesk(), active_case()
    with pytest.raises(MediaNotAllowed):
        desk.negotiate(case, "customer", T0 + 1, new_connection=True)


def test_reconnecting_participant_negotiates_again() -> None:
    desk, case = MediaDesk(), active_case()
    desk.propose(case, "agent", Channel.VOICE, T0 + 1)
    desk.accept(case, "customer", T0 + 2)
    for role in ("customer", "agent"):
        desk.negotiate(case, role, T0 + 2, new_connection=True)
        desk.peer_connected(case, role, T0 + 3)
    assert desk.negotiate(case, "customer", T0 + 4, new_connection=False) == []
    out = desk.negotiate(case, "customer", T0 + 5, new_connection=True)
    assert events_named(out, "media_state")[0].payload["state"] == "negotiating"
    out = desk.peer_connected(case, "customer", T0 + 6)
    assert events_named(out, "media_state")[0].payload["state"] == "connected"


def test_media_needs_an_active_case_and_case_end_ends_the_call() -> None:
    desk, case = MediaDesk(), active_case()
    desk.propose(case, "agent", Channel.VOICE, T0 + 1)
    desk.accept(case, "customer", T0 + 2)
    case.transition(CaseState.WRAP_UP, T0 + 30)
    out = desk.case_over(case, T0 + 30)
    assert events_named(out, "media_state")[0].payload["reason"] == "case_ended"
    assert "c1" not in desk.calls
    with pytest.raises(MediaNotAllowed):
        desk.propose(case, "agent", Channel.VOICE, T0 + 31)


def test_hangup_without_a_call_is_an_invalid_transition() -> None:
    desk, case = MediaDesk(), active_case()
    with pytest.raises(InvalidMediaTransition):
        desk.hangup(case, "agent", T0 + 1)


def test_voice_hint_after_sixty_seconds_of_chat_once_per_chat_period() -> None:
    desk, case = MediaDesk(MediaPolicy(voice_hint_after_seconds=60)), active_case()
    assert desk.tick([case], T0 + 59) == []
    out = desk.tick([case], T0 + 60)
    hints = events_named(out, "media_hint")
    assert len(out) == 1
    assert [(type(e), e.payload["suggest"], e.payload["reason"]) for e in hints] == [
        (ToAgent, "voice", "chat_duration")]
    assert desk.tick([case], T0 + 120) == []
    # a call and back to chat: a new chat period, a new hint after another 60 s
    desk.propose(case, "agent", Channel.VOICE, T0 + 130)
    desk.accept(case, "customer", T0 + 131)
    assert desk.tick([case], T0 + 200) == []
    desk.hangup(case, "agent", T0 + 210)
    assert desk.tick([case], T0 + 269) == []
    assert len(desk.tick([case], T0 + 270)) == 1


def test_video_hint_on_verification_or_visual_fault_marks() -> None:
    desk, case = MediaDesk(), active_case()
    out = desk.mark(case, "needs_verification", T0 + 3)
    hints = events_named(out, "media_hint")
    assert hints[0].payload == {"case_id": "c1", "suggest": "video",
                                "reason": "needs_verification"}
    assert events_named(desk.mark(case, "visual_fault", T0 + 4), "media_hint")
    assert events_named(desk.mark(case, "other_mark", T0 + 5), "media_hint") == []
    assert [e.detail["mark"] for e in case.events if e.kind == "mark"] == [
        "needs_verification", "visual_fault", "other_mark"]
