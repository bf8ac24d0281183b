"""Chat between customer and agent, transcripts only when retained, closing with a label, feedback."""

from __future__ import annotations

import pytest

from server.core.agents import Presence
from server.core.case import CaseState
from server.core.effects import ForgetCase, KeepChatText, KeepTranscript, SaveCase
from server.core.errors import FeedbackNotAllowed, InvalidTransition, NotYourCase, UnknownLabel
from server.signalling.messages import ToAgent, ToCustomer
from tests.core.conftest import T0, Desk, DeskFactory, to_agent, to_customer, wire

S = CaseState


def chatting(desk: Desk) -> str:
    desk.agent("lisa")
    desk.agent("omar")
    return desk.answered("lisa").id


# --- chat -----------------------------------------------------------------------------------


def test_a_customer_message_goes_to_the_agent_only(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.clock.advance(2)

    message, effects = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")

    assert wire(effects) == [ToAgent("lisa", "chat_message", message.as_payload())]
    assert message.as_payload() == {
        "id": message.id, "case_id": case_id, "sender": "customer", "text": "Kortet nekas",
        "at": T0 + 2, "client_id": "m-1", "quick_reply": None, "delivery": "sent",
    }


def test_an_agent_message_goes_to_the_customer_only(desk: Desk) -> None:
    case_id = chatting(desk)

    message, effects = desk.engine.chat(case_id, "agent", "Hej! Jag ser din korg.", agent_id="lisa")

    assert wire(effects) == [ToCustomer(case_id, "chat_message", message.as_payload())]
    assert message.sender == "agent"


def test_chat_typing_and_receipts_do_not_recompute_the_queues(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They change no queue, position or presence; recomputing the overview per message was the
    largest single cost of relaying chat (docs/performance.md)."""
    case_id = chatting(desk)
    desk.press()  # someone waits meanwhile: the queues are not empty

    def recompute() -> None:
        raise AssertionError("the queues were recomputed")

    monkeypatch.setattr(desk.engine, "_announce", recompute)
    monkeypatch.setattr(desk.engine, "queue_overview", recompute)
    message, effects = desk.engine.chat(case_id, "customer", "Kortet nekas")
    assert wire(effects) == [ToAgent("lisa", "chat_message", message.as_payload())]
    assert wire(desk.engine.typing(case_id, "agent", True, agent_id="lisa")) == [
        ToCustomer(case_id, "typing", {"case_id": case_id, "sender": "agent", "active": True})]
    assert wire(desk.engine.delivered(case_id, message.id, "agent", agent_id="lisa")) == [
        ToCustomer(case_id, "chat_delivered",
                   {"case_id": case_id, "message_id": message.id, "client_id": None})]


def test_every_chat_line_is_stored_as_a_case_event_with_its_text_kept_apart(desk: Desk) -> None:
    case_id = chatting(desk)

    message, effects = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")

    event = desk.engine.case(case_id).events[-1]
    assert (event.kind, event.detail) == ("chat_line", {
        "message_id": message.id, "sender": "customer", "client_id": "m-1"})
    assert "Kortet nekas" not in repr(event)  # the text is not part of the lasting history
    assert SaveCase(case_id) in effects
    assert KeepChatText(case_id, message.id, "Kortet nekas") in effects


def test_a_line_sent_again_under_the_same_client_id_is_the_same_line(desk: Desk) -> None:
    """A client that never got its acknowledgement (a restart, a storage outage) sends again."""
    case_id = chatting(desk)
    first, _ = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")

    again, effects = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")

    assert again == first
    assert wire(effects) == []  # the agent has it already
    assert effects == [SaveCase(case_id)]  # acknowledged once it is stored
    assert [m.id for m in desk.engine.chats.of(case_id)] == [first.id]
    other, _ = desk.engine.chat(case_id, "agent", "Hej", client_id="m-1", agent_id="lisa")
    assert other.id != first.id  # the id is the sender's own


def test_a_line_sent_again_after_a_restart_gets_the_same_id_from_its_client_id(
    desk: Desk, make_desk: DeskFactory
) -> None:
    """The other side may have shown the line before it was stored; re-sent after a crash, it is
    recognisably the same line, not a second one."""
    case_id = chatting(desk)
    first, _ = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")
    again = make_desk()
    again.engine.cases[case_id] = desk.engine.case(case_id)  # as a new process would have it
    resent, _ = again.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")
    assert resent.id == first.id
    other, _ = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-2")
    assert other.id != first.id


def test_an_agent_may_not_chat_on_a_case_that_is_not_theirs(desk: Desk) -> None:
    case_id = chatting(desk)

    with pytest.raises(NotYourCase) as refused:
        desk.engine.chat(case_id, "agent", "Hej", agent_id="omar")
    assert refused.value.code == "not_your_case"
    with pytest.raises(NotYourCase):
        desk.engine.chat(case_id, "agent", "Hej", agent_id=None)
    assert desk.engine.chats.of(case_id) == []


def test_an_agent_may_not_chat_on_a_case_only_offered_to_them(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    assert desk.offered_to(case.id) == "lisa"
    with pytest.raises(NotYourCase):
        desk.engine.chat(case.id, "agent", "Hej", agent_id="lisa")


def test_a_queued_customer_can_type_and_the_agent_sees_it_on_accepting(desk: Desk) -> None:
    desk.agent("lisa", presence=Presence.BUSY)
    case, _ = desk.press()
    first, effects = desk.engine.chat(case.id, "customer", "Hallå?")
    assert wire(effects) == []  # nobody to tell yet
    desk.engine.set_presence("lisa", Presence.AVAILABLE)
    assert case.state is S.OFFERED
    second, effects = desk.engine.chat(case.id, "customer", "Betalningen fastnar")
    assert to_agent(effects, "chat_message") == []  # offered is not answered

    effects = desk.engine.accept("lisa", case.id)

    (assigned,) = to_agent(effects, "case_assigned", "lisa")
    assert assigned.payload["messages"] == [first.as_payload(), second.as_payload()]
    assert [m["text"] for m in desk.engine.customer_view(case.id)["messages"]] == [
        "Hallå?", "Betalningen fastnar"]


def test_nobody_may_chat_once_the_conversation_has_ended(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.end_conversation("lisa", case_id)
    with pytest.raises(InvalidTransition):
        desk.engine.chat(case_id, "customer", "En sak till")
    with pytest.raises(InvalidTransition):
        desk.engine.chat(case_id, "agent", "Hej då", agent_id="lisa")


def test_no_transcript_is_kept_by_default(desk: Desk) -> None:
    case_id = chatting(desk)
    _, from_customer = desk.engine.chat(case_id, "customer", "Hej")
    _, from_agent = desk.engine.chat(case_id, "agent", "Hej!", agent_id="lisa")
    assert not [e for e in from_customer + from_agent if isinstance(e, KeepTranscript)]


def test_with_transcript_retention_on_every_message_is_kept(make_desk: DeskFactory) -> None:
    desk = make_desk(transcript_retention=True)
    case_id = chatting(desk)
    desk.clock.advance(1)

    _, from_customer = desk.engine.chat(case_id, "customer", "Hej")
    desk.clock.advance(1)
    _, from_agent = desk.engine.chat(case_id, "agent", "Hej!", agent_id="lisa")

    assert [e for e in from_customer + from_agent if isinstance(e, KeepTranscript)] == [
        KeepTranscript(case_id, T0 + 1, "customer", "Hej"),
        KeepTranscript(case_id, T0 + 2, "agent", "Hej!"),
    ]


def test_typing_is_shown_to_the_other_side_only(desk: Desk) -> None:
    case_id = chatting(desk)
    assert wire(desk.engine.typing(case_id, "customer", True)) == [
        ToAgent("lisa", "typing", {"case_id": case_id, "sender": "customer", "active": True})]
    assert wire(desk.engine.typing(case_id, "agent", False, agent_id="lisa")) == [
        ToCustomer(case_id, "typing", {"case_id": case_id, "sender": "agent", "active": False})]
    with pytest.raises(NotYourCase):
        desk.engine.typing(case_id, "agent", True, agent_id="omar")


# --- closing --------------------------------------------------------------------------------


def test_closing_with_an_unconfigured_label_is_refused_and_changes_nothing(desk: Desk) -> None:
    case_id = chatting(desk)

    with pytest.raises(UnknownLabel) as refused:
        desk.engine.close("lisa", case_id, "övrigt", True)

    assert refused.value.code == "unknown_label"
    assert "betalningsfråga" in str(refused.value)
    case = desk.engine.case(case_id)
    assert case.state is S.ACTIVE
    assert case.label is None
    assert desk.status("lisa").cases == {case_id}


def test_only_the_assigned_agent_may_close(desk: Desk) -> None:
    case_id = chatting(desk)
    with pytest.raises(NotYourCase):
        desk.engine.close("omar", case_id, "betalningsfråga", True)
    assert desk.engine.case(case_id).state is S.ACTIVE


def test_closing_an_active_case_goes_through_wrap_up_to_closed(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.chat(case_id, "customer", "Hej")
    desk.clock.advance(45)

    effects = desk.engine.close("lisa", case_id, "betalningsfråga", True)

    case = desk.engine.case(case_id)
    steps = [(e.from_state, e.to_state, e.at) for e in case.events if e.kind == "transition"][-2:]
    assert steps == [(S.ACTIVE, S.WRAP_UP, T0 + 45), (S.WRAP_UP, S.CLOSED, T0 + 45)]
    assert case.events[-1].detail == {"label": "betalningsfråga", "resolved": True}
    assert (case.state, case.label, case.resolved) == (S.CLOSED, "betalningsfråga", True)
    assert [e.payload for e in to_customer(effects, "wrap_up", case_id)] == [
        {"case_id": case_id, "feedback_seconds": 10}]
    assert [e.payload for e in to_customer(effects, "case_closed", case_id)] == [
        {"case_id": case_id, "resolved": True}]
    assert [e.payload for e in to_agent(effects, "case_closed", "lisa")] == [{"case_id": case_id}]
    assert SaveCase(case_id) in effects
    assert ForgetCase(case_id) in effects
    assert desk.engine.chats.of(case_id) == []


def test_closing_frees_the_agents_capacity(desk: Desk) -> None:
    desk.agent("lisa", max_concurrent=1)
    case = desk.answered("lisa")
    assert not desk.status("lisa").has_capacity
    desk.clock.advance(60)

    desk.engine.close("lisa", case.id, "produkt saknas", False)

    status = desk.status("lisa")
    assert status.cases == set()
    assert status.has_capacity
    assert status.idle_since == T0 + 60
    assert desk.engine.case(case.id).resolved is False


def test_a_case_in_wrap_up_is_closed_without_a_second_wrap_up(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.end_conversation("lisa", case_id)
    assert desk.engine.case(case_id).state is S.WRAP_UP
    assert desk.status("lisa").cases == {case_id}  # still hers to label

    effects = desk.engine.close("lisa", case_id, "tekniskt fel", True)

    assert to_customer(effects, "wrap_up") == []
    assert desk.engine.case(case_id).state is S.CLOSED


def test_a_closed_case_cannot_be_closed_again(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.close("lisa", case_id, "tekniskt fel", True)
    with pytest.raises(InvalidTransition):
        desk.engine.close("lisa", case_id, "tekniskt fel", True)


def test_the_customer_ending_the_chat_moves_it_to_wrap_up_and_tells_the_agent(desk: Desk) -> None:
    case_id = chatting(desk)
    effects = desk.engine.cancel(case_id)
    assert desk.engine.case(case_id).state is S.WRAP_UP
    assert [e.payload for e in to_agent(effects, "customer_ended", "lisa")] == [{"case_id": case_id}]
    assert len(to_customer(effects, "wrap_up", case_id)) == 1


# --- feedback -------------------------------------------------------------------------------


def test_feedback_before_the_conversation_ends_is_refused(desk: Desk) -> None:
    case_id = chatting(desk)
    with pytest.raises(FeedbackNotAllowed) as refused:
        desk.engine.feedback(case_id, 5, "Toppen")
    assert refused.value.code == "feedback_not_allowed"
    assert desk.engine.case(case_id).rating is None


def test_feedback_while_still_waiting_is_refused(desk: Desk) -> None:
    desk.agent("lisa", presence=Presence.BUSY)
    case, _ = desk.press()
    with pytest.raises(FeedbackNotAllowed):
        desk.engine.feedback(case.id, 1, None)


def test_feedback_in_wrap_up_is_taken_once_and_shown_to_the_agent(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.end_conversation("lisa", case_id)
    desk.clock.advance(4)

    effects = desk.engine.feedback(case_id, 5, "Snabb hjälp!")

    case = desk.engine.case(case_id)
    assert (case.rating, case.feedback_text) == (5, "Snabb hjälp!")
    assert [(e.at, e.detail) for e in case.events if e.kind == "feedback"] == [(T0 + 4, {"rating": 5})]
    assert [e.payload for e in to_agent(effects, "feedback", "lisa")] == [{"case_id": case_id, "rating": 5}]
    assert SaveCase(case_id) in effects

    with pytest.raises(FeedbackNotAllowed):
        desk.engine.feedback(case_id, 1, "Ändrat mig")
    assert case.rating == 5


def test_feedback_after_closing_is_taken_once(desk: Desk) -> None:
    case_id = chatting(desk)
    desk.engine.close("lisa", case_id, "betalningsfråga", True)

    effects = desk.engine.feedback(case_id, 4, "")

    case = desk.engine.case(case_id)
    assert (case.rating, case.feedback_text) == (4, None)
    # the rating often comes after the agent closed the case: they are told all the same
    (told,) = to_agent(effects, "feedback", "lisa")
    assert told.payload == {"case_id": case_id, "rating": 4}
    with pytest.raises(FeedbackNotAllowed):
        desk.engine.feedback(case_id, 4, None)
