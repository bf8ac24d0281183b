"""What the customer is told is what happened: the agent is here from the accept (optionally
with a greeting said for them), and a delivered line stays delivered after a reload or restart."""

from __future__ import annotations

from server.core.effects import KeepChatText, SaveCase
from server.core.events import AgentGreeted, AgentJoined
from server.core.history import ChatLineDelivered, replay
from server.i18n import AUTO_GREETING
from server.signalling.messages import ToCustomer
from tests.core.conftest import Desk, DeskFactory, to_customer, wire


def chatting(desk: Desk) -> str:
    desk.agent("lisa")
    return desk.answered("lisa").id


# --- delivery marks ---------------------------------------------------------------------------


def test_a_delivered_line_is_delivered_in_every_later_view(desk: Desk) -> None:
    case_id = chatting(desk)
    message, _ = desk.engine.chat(case_id, "customer", "Kortet nekas", client_id="m-1")
    assert desk.engine.customer_view(case_id)["messages"][0]["delivery"] == "sent"

    desk.engine.delivered(case_id, message.id, "agent", agent_id="lisa")

    assert desk.engine.customer_view(case_id)["messages"][0]["delivery"] == "delivered"
    assert desk.engine.agent_view(case_id)["messages"][0]["delivery"] == "delivered"


def test_a_delivery_is_a_stored_fact_so_a_restart_keeps_the_mark(desk: Desk) -> None:
    case_id = chatting(desk)
    message, _ = desk.engine.chat(case_id, "agent", "Hej!", agent_id="lisa")

    effects = desk.engine.delivered(case_id, message.id, "customer")

    case = desk.engine.case(case_id)
    assert case.events[-1] == ChatLineDelivered(desk.now, message_id=message.id)
    assert SaveCase(case_id) in effects
    assert replay(case.events) == case  # the fold knows the fact


def test_a_line_confirmed_again_after_a_reload_is_neither_stored_nor_announced_twice(
    desk: Desk,
) -> None:
    case_id = chatting(desk)
    message, _ = desk.engine.chat(case_id, "agent", "Hej!", agent_id="lisa")
    desk.engine.delivered(case_id, message.id, "customer")
    events = len(desk.engine.case(case_id).events)

    assert desk.engine.delivered(case_id, message.id, "customer") == []
    assert len(desk.engine.case(case_id).events) == events


def test_a_reader_cannot_mark_their_own_line_delivered(desk: Desk) -> None:
    case_id = chatting(desk)
    message, _ = desk.engine.chat(case_id, "customer", "Hallå?")

    assert desk.engine.delivered(case_id, message.id, "customer") == []
    assert desk.engine.customer_view(case_id)["messages"][0]["delivery"] == "sent"


# --- the agent joins at the accept ------------------------------------------------------------


def test_the_customer_hears_who_joined_at_the_accept_before_any_agent_line(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()

    effects = desk.engine.accept("lisa", case.id)

    assert to_customer(effects, "agent_joined") == [ToCustomer(case.id, "agent_joined", {
        "case_id": case.id, "agent_name": "Lisa", "first_channel": "chat"})]
    assert to_customer(effects, "chat_message") == []  # no greeting unless it is set


def test_with_a_greeting_set_the_agent_greets_in_the_customers_language_after_joining(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk(greeting=AUTO_GREETING)
    desk.agent("lisa", languages=("sv", "en"))
    case, _ = desk.press(language="en")

    effects = desk.engine.accept("lisa", case.id)

    joined = next(i for i, e in enumerate(effects) if isinstance(e, AgentJoined))
    greeted = next(i for i, e in enumerate(effects) if isinstance(e, AgentGreeted))
    assert joined < greeted
    [line] = to_customer(effects, "chat_message")
    assert line.payload["sender"] == "agent"
    assert line.payload["text"] == "Hi, I'm Lisa. How can I help you?"
    # a normal agent line: kept, stored, in every view
    assert KeepChatText(case.id, line.payload["id"], line.payload["text"]) in effects
    assert [m["text"] for m in desk.engine.customer_view(case.id)["messages"]] == [
        "Hi, I'm Lisa. How can I help you?"]
    assert desk.engine.case(case.id).events[-1].kind == "chat_line"


def test_a_swedish_customer_is_greeted_in_swedish_and_the_agent_sees_the_greeting(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk(greeting=AUTO_GREETING)
    desk.agent("lisa")
    case, _ = desk.press()

    effects = desk.engine.accept("lisa", case.id)

    [line] = to_customer(effects, "chat_message")
    assert line.payload["text"] == "Hej, jag heter Lisa. Vad kan jag hjälpa dig med?"
    [assigned] = [m for m in wire(effects) if m.event == "case_assigned"]
    assert [m["text"] for m in assigned.payload["messages"]] == [line.payload["text"]]
