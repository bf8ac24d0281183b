"""Dispatch: who is offered a case, what happens when an offer lapses, and when either side drops."""

from __future__ import annotations

import pytest

from server.core.agents import Presence
from server.core.case import CaseState
from server.core.effects import SaveCase
from server.core.errors import OfferNotFound, QueueFull
from server.core.history import CallFailed
from tests.core.conftest import T0, Desk, DeskFactory, to_agent, to_customer

S = CaseState


def two_agents(desk: Desk) -> None:
    """Lisa becomes available at T0, Omar five seconds later: Lisa has been idle longest."""
    desk.agent("lisa")
    desk.clock.advance(5)
    desk.agent("omar")
    desk.clock.advance(5)


# --- who gets the offer ---------------------------------------------------------------------


def test_the_longest_idle_agent_is_offered_the_case(desk: Desk) -> None:
    two_agents(desk)
    case, effects = desk.press()

    assert case.state is S.OFFERED
    (offer,) = to_agent(effects, "offer")
    assert offer.agent_id == "lisa"
    assert offer.payload["case_id"] == case.id
    assert offer.payload["expires_in"] == 20
    assert offer.payload["queue"] == "general"
    assert desk.offered_to(case.id) == "lisa"


def test_an_agent_who_became_available_later_is_offered_second(desk: Desk) -> None:
    two_agents(desk)
    first, _ = desk.press()
    second, effects = desk.press()

    assert desk.offered_to(first.id) == "lisa"
    assert desk.offered_to(second.id) == "omar"
    assert [o.agent_id for o in to_agent(effects, "offer")] == ["omar"]


def test_an_agent_whose_conversation_ended_last_is_offered_last(desk: Desk) -> None:
    desk.agent("lisa", max_concurrent=1)
    desk.agent("omar", max_concurrent=1)
    lisas = desk.answered("lisa")
    omars = desk.answered("omar")
    desk.clock.advance(30)
    desk.engine.close("omar", omars.id, "betalningsfråga", True)
    desk.clock.advance(30)
    desk.engine.close("lisa", lisas.id, "betalningsfråga", True)

    case, _ = desk.press()

    assert desk.offered_to(case.id) == "omar"


def test_an_agent_in_a_conversation_is_not_preferred_over_an_idle_colleague(desk: Desk) -> None:
    two_agents(desk)
    desk.answered("lisa")  # lisa was idle longest; now she is talking to a customer

    case, _ = desk.press()

    assert desk.offered_to(case.id) == "omar"


def test_a_case_needing_a_skill_is_only_offered_to_an_agent_with_it(desk: Desk) -> None:
    desk.agent("lisa")  # idle longest, but no payment skill
    desk.clock.advance(1)
    desk.agent("paula", skills={"payments"})

    case, _ = desk.press(payment_step="payment")

    assert case.queue == "payment-experts"
    assert desk.offered_to(case.id) == "paula"


def test_an_english_case_is_not_offered_to_a_swedish_only_agent(desk: Desk) -> None:
    desk.agent("sara", languages={"sv"})  # idle longest
    desk.clock.advance(1)
    desk.agent("john", languages={"en"})

    case, effects = desk.press(language="en")

    assert case.queue == "english"
    assert desk.offered_to(case.id) == "john"
    assert to_agent(effects, "offer", "sara") == []


def test_an_english_case_waits_rather_than_go_to_a_swedish_only_agent(desk: Desk) -> None:
    desk.agent("sara", languages={"sv"})
    desk.agent("john", languages={"en"}, presence=Presence.BUSY)

    case, _ = desk.press(language="en")

    assert case.state is S.QUEUED
    assert desk.offered_to(case.id) is None


def test_an_agent_without_languages_serves_any_language(desk: Desk) -> None:
    desk.agent("alex")
    case, _ = desk.press(language="en")
    assert desk.offered_to(case.id) == "alex"


def test_an_away_agent_is_not_offered_anything(desk: Desk) -> None:
    desk.agent("lisa", presence=None)
    case, _ = desk.press()
    assert case.state is S.QUEUED
    effects = desk.engine.set_presence("lisa", Presence.AVAILABLE)
    assert [o.payload["case_id"] for o in to_agent(effects, "offer", "lisa")] == [case.id]


def test_an_agent_with_an_open_offer_is_not_offered_a_second_case(desk: Desk) -> None:
    desk.agent("lisa")
    first, _ = desk.press()
    second, _ = desk.press()
    assert desk.offered_to(first.id) == "lisa"
    assert second.state is S.QUEUED


# --- lapsing and declining ------------------------------------------------------------------


def test_an_offer_is_still_open_just_before_the_timeout(desk: Desk) -> None:
    two_agents(desk)
    case, _ = desk.press()

    effects = desk.advance(19.9)

    assert to_agent(effects, "offer_withdrawn") == []
    assert desk.offered_to(case.id) == "lisa"
    assert desk.status("lisa").presence is Presence.AVAILABLE
    desk.engine.accept("lisa", case.id)
    assert case.state is S.ACTIVE


def test_an_offer_lapsing_at_the_timeout_goes_to_the_next_agent_and_the_silent_one_is_set_away(
    desk: Desk,
) -> None:
    two_agents(desk)
    case, _ = desk.press()

    effects = desk.advance(20)

    (withdrawn,) = to_agent(effects, "offer_withdrawn")
    assert (withdrawn.agent_id, withdrawn.payload) == ("lisa", {"case_id": case.id, "reason": "timeout"})
    assert to_agent(effects, "presence", "lisa")[-1].payload == {"presence": "away", "reason": "missed_offer"}
    assert desk.status("lisa").presence is Presence.AWAY
    (moved,) = to_agent(effects, "offer")
    assert (moved.agent_id, moved.payload["case_id"]) == ("omar", case.id)
    assert desk.offered_to(case.id) == "omar"
    lapsed = [e for e in case.events if e.detail.get("reason") == "offer_timeout"]
    assert [(e.at, e.from_state, e.to_state, e.detail["agent_id"]) for e in lapsed] == [
        (T0 + 30, S.OFFERED, S.QUEUED, "lisa")]
    with pytest.raises(OfferNotFound):
        desk.engine.accept("lisa", case.id)


def test_the_offer_timeout_is_configurable(make_desk: DeskFactory) -> None:
    desk = make_desk(offer_timeout_seconds=5)
    two_agents(desk)
    case, _ = desk.press()
    desk.advance(4.9)
    assert desk.offered_to(case.id) == "lisa"
    desk.advance(0.1)
    assert desk.offered_to(case.id) == "omar"


def test_a_lapsed_offer_with_nobody_else_waits_in_the_queue(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    desk.advance(20)
    assert case.state is S.QUEUED
    assert desk.offered_to(case.id) is None


def test_a_declined_offer_goes_to_the_next_agent_and_the_decliner_stays_available(desk: Desk) -> None:
    two_agents(desk)
    case, _ = desk.press()

    effects = desk.engine.decline("lisa", case.id)

    (withdrawn,) = to_agent(effects, "offer_withdrawn")
    assert withdrawn.payload == {"case_id": case.id, "reason": "declined"}
    assert [(o.agent_id, o.payload["case_id"]) for o in to_agent(effects, "offer")] == [("omar", case.id)]
    assert desk.status("lisa").presence is Presence.AVAILABLE


def test_only_the_offered_agent_can_accept_or_decline(desk: Desk) -> None:
    two_agents(desk)
    case, _ = desk.press()
    with pytest.raises(OfferNotFound) as refused:
        desk.engine.accept("omar", case.id)
    assert refused.value.code == "offer_not_found"
    with pytest.raises(OfferNotFound):
        desk.engine.decline("omar", case.id)
    assert desk.offered_to(case.id) == "lisa"


def test_accepting_makes_the_case_active_with_the_agent_named_to_the_customer(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    desk.clock.advance(3)

    effects = desk.engine.accept("lisa", case.id)

    assert case.state is S.ACTIVE
    assert (case.agent_id, case.agent_name) == ("lisa", "Lisa")
    assert case.entered(S.ACTIVE) == T0 + 3
    (joined,) = to_customer(effects, "agent_joined", case.id)
    assert joined.payload == {"case_id": case.id, "agent_name": "Lisa", "first_channel": "chat"}
    assert [a.payload["case_id"] for a in to_agent(effects, "case_assigned", "lisa")] == [case.id]
    assert SaveCase(case.id) in effects
    assert desk.engine.state.entry(case.id) is None


# --- capacity -------------------------------------------------------------------------------


def test_an_agent_at_max_concurrent_is_offered_nothing_more(desk: Desk) -> None:
    desk.agent("lisa", max_concurrent=2)
    desk.answered("lisa")
    desk.answered("lisa")

    third, _ = desk.press()

    assert third.state is S.QUEUED
    assert desk.offered_to(third.id) is None
    assert len(desk.status("lisa").cases) == 2


def test_closing_a_case_frees_capacity_for_the_next_one(desk: Desk) -> None:
    desk.agent("lisa", max_concurrent=1)
    first = desk.answered("lisa")
    second, _ = desk.press()
    assert second.state is S.QUEUED

    effects = desk.engine.close("lisa", first.id, "produkt saknas", True)

    assert [o.payload["case_id"] for o in to_agent(effects, "offer", "lisa")] == [second.id]


# --- an agent who drops ---------------------------------------------------------------------


def test_an_agent_lost_past_the_grace_puts_the_case_back_at_the_front_and_tells_the_customer(
    desk: Desk,
) -> None:
    desk.agent("lisa", max_concurrent=1)
    desk.agent("omar", presence=Presence.BUSY)  # keeps the queue served, takes no offers
    case = desk.answered("lisa")
    desk.clock.advance(1)
    waiting, _ = desk.press()  # older than the case to come back, but not returned
    desk.clock.advance(1)
    desk.engine.agent_disconnected("lisa")

    assert to_customer(desk.advance(9.9), "agent_lost") == []
    assert case.state is S.ACTIVE

    effects = desk.advance(0.1)  # exactly agent_grace_seconds after the drop

    assert case.state is S.QUEUED
    assert case.agent_id is None and case.agent_name is None
    assert case.front_of_queue
    lost = [e for e in case.events if e.detail.get("reason") == "agent_lost"]
    assert [(e.at, e.from_state, e.to_state) for e in lost] == [(T0 + 12, S.ACTIVE, S.QUEUED)]
    assert [e.payload for e in to_customer(effects, "agent_lost")] == [{"case_id": case.id}]
    queue = desk.engine.state.waiting("general")
    assert [e.case_id for e in queue] == [case.id, waiting.id]
    assert queue[0].front
    assert desk.status("lisa").cases == set()


def test_the_returned_case_is_offered_to_the_next_free_agent(desk: Desk) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.agent("omar")
    desk.engine.agent_disconnected("lisa")

    effects = desk.advance(10)

    assert [(o.agent_id, o.payload["case_id"]) for o in to_agent(effects, "offer")] == [("omar", case.id)]
    desk.engine.accept("omar", case.id)
    assert case.agent_id == "omar"
    assert not case.front_of_queue


def test_an_agent_who_reconnects_within_the_grace_keeps_the_case(desk: Desk) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.engine.agent_disconnected("lisa")
    desk.advance(9)

    effects = desk.engine.agent_connected(desk.status("lisa").profile)

    assert [a.payload["case_id"] for a in to_agent(effects, "case_assigned", "lisa")] == [case.id]
    assert to_agent(effects, "presence", "lisa")[0].payload == {"presence": "available"}
    assert to_customer(desk.advance(60), "agent_lost") == []
    assert case.state is S.ACTIVE
    assert case.agent_id == "lisa"
    assert desk.status("lisa").cases == {case.id}


def test_an_agent_who_drops_with_an_open_offer_loses_it_at_once(desk: Desk) -> None:
    two_agents(desk)
    case, _ = desk.press()

    effects = desk.engine.agent_disconnected("lisa")

    assert [o.payload for o in to_agent(effects, "offer_withdrawn", "lisa")] == [
        {"case_id": case.id, "reason": "agent_left"}]
    assert desk.offered_to(case.id) == "omar"


# --- a customer who drops -------------------------------------------------------------------


def test_a_waiting_customer_gone_past_the_grace_abandons_the_case_and_the_offer_is_withdrawn(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk(customer_grace_seconds=10, offer_timeout_seconds=60)
    desk.agent("lisa")
    case, _ = desk.press()
    assert desk.offered_to(case.id) == "lisa"
    desk.engine.customer_disconnected(case.id)

    assert to_agent(desk.advance(9.9), "offer_withdrawn") == []
    assert case.state is S.OFFERED

    effects = desk.advance(0.1)

    assert case.state is S.ABANDONED
    assert case.entered(S.ABANDONED) == T0 + 10
    assert case.events[-1].detail == {"reason": "customer_disconnected"}
    assert [o.payload for o in to_agent(effects, "offer_withdrawn", "lisa")] == [
        {"case_id": case.id, "reason": "customer_left"}]
    assert desk.offered_to(case.id) is None
    assert desk.engine.state.entry(case.id) is None


def test_a_queued_customer_who_comes_back_within_the_grace_keeps_their_place(desk: Desk) -> None:
    desk.agent("lisa", presence=Presence.BUSY)
    case, _ = desk.press()
    desk.engine.customer_disconnected(case.id)
    desk.advance(29)
    desk.engine.customer_reconnected(case.id)

    desk.advance(30)

    assert case.state is S.QUEUED


def test_an_active_customer_gone_past_the_grace_is_marked_dropped_and_the_agent_told(desk: Desk) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    effects = desk.engine.customer_disconnected(case.id)
    assert [a.payload for a in to_agent(effects, "customer_connection", "lisa")] == [
        {"case_id": case.id, "connected": False}]

    assert to_agent(desk.advance(29.9), "customer_left") == []
    assert not case.customer_dropped

    effects = desk.advance(0.1)

    assert case.customer_dropped
    assert case.state is S.ACTIVE  # the agent still closes and labels it
    assert [a.payload for a in to_agent(effects, "customer_left", "lisa")] == [{"case_id": case.id}]
    assert [e.at for e in case.events if e.kind == "customer_dropped"] == [T0 + 30]
    assert to_agent(desk.advance(60), "customer_left") == []


# --- queue length ---------------------------------------------------------------------------


def test_a_queue_takes_cases_up_to_its_limit_and_refuses_one_more(make_desk: DeskFactory) -> None:
    desk = make_desk(max_queue_length=3)
    desk.agent("lisa", presence=Presence.BUSY)
    accepted = [desk.press()[0] for _ in range(3)]
    assert all(case.state is S.QUEUED for case in accepted)

    with pytest.raises(QueueFull) as refused:
        desk.press()

    assert refused.value.code == "queue_full"
    assert "general" in str(refused.value)
    assert len(desk.engine.cases) == 3


def test_a_full_queue_does_not_refuse_presses_routed_elsewhere(make_desk: DeskFactory) -> None:
    desk = make_desk(max_queue_length=1)
    desk.agent("lisa", presence=Presence.BUSY)
    desk.press()
    with pytest.raises(QueueFull):
        desk.press()
    english, _ = desk.press(language="en")
    assert english.queue == "english"
    assert english.state is S.QUEUED


def test_a_place_freed_in_a_full_queue_can_be_taken_again(make_desk: DeskFactory) -> None:
    desk = make_desk(max_queue_length=1)
    desk.agent("lisa", presence=Presence.BUSY)
    first, _ = desk.press()
    desk.engine.cancel(first.id)
    second, _ = desk.press()
    assert second.state is S.QUEUED


def test_an_agent_lost_with_nobody_left_to_take_over_takes_the_technical_error_path(
    desk: Desk,
) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.engine.agent_disconnected("lisa")

    effects = desk.advance(10)

    assert [e.payload["case_id"] for e in to_customer(effects, "agent_lost")] == [case.id]
    [error] = to_customer(effects, "technical_error")
    assert error.payload["reason"] == "agent_connection_failed"
    assert error.payload["cart_hold_seconds"] == 300
    assert case.state is S.CALLBACK_REQUESTED


def test_a_case_returned_after_a_lost_agent_gets_a_fresh_promise(desk: Desk) -> None:
    desk.agent("lisa")
    desk.agent("omar", presence=Presence.BUSY)  # serves the queue, takes no offers
    case = desk.answered("lisa")
    desk.clock.advance(45)  # a long conversation: the first promise was kept long ago
    desk.engine.agent_disconnected("lisa")

    effects = desk.advance(10)  # back in the queue at T0 + 55
    effects += desk.advance(1)

    assert to_customer(effects, "callback_offer") == []
    assert case.state is S.QUEUED


def test_an_offer_cannot_be_accepted_once_its_time_is_up_even_before_a_tick(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    desk.clock.advance(20)  # the offer timeout, with no tick in between

    with pytest.raises(OfferNotFound):
        desk.engine.accept("lisa", case.id)


def test_a_customer_whose_call_and_chat_link_both_broke_gets_the_technical_error_path(
    desk: Desk,
) -> None:
    desk.agent("lisa", max_concurrent=1)
    case = desk.answered("lisa")
    desk.clock.advance(1)
    desk.engine.customer_disconnected(case.id)
    case.apply(CallFailed(desk.now, role="customer", reason="peer_lost", channel="video"))

    effects = desk.advance(30)  # the customer grace period

    assert case.state is S.CALLBACK_REQUESTED
    [error] = to_customer(effects, "technical_error")
    assert error.payload["reason"] == "connection_lost"
    assert [e.payload for e in to_agent(effects, "customer_left")] == [{"case_id": case.id}]
    assert desk.status("lisa").cases == set()  # free for the next customer


def test_a_customer_who_only_lost_the_chat_link_is_marked_dropped_without_a_callback(
    desk: Desk,
) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.engine.customer_disconnected(case.id)

    effects = desk.advance(30)

    assert case.state is S.ACTIVE and case.customer_dropped
    assert to_customer(effects, "technical_error") == []


# --- what the agent sees of a case ------------------------------------------------------------


def test_the_agents_case_view_carries_the_short_number_the_wait_and_the_talk_time(desk: Desk) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    desk.clock.advance(12)
    (assigned,) = to_agent(desk.engine.accept("lisa", case.id), "case_assigned")
    view = assigned.payload

    assert view["number"] == case.id.replace("-", "")[:6].upper()
    assert view["waited_seconds"] == 12
    assert view["active_seconds"] == 0
    desk.clock.advance(30)
    later = desk.engine.agent_view(case.id)
    assert later["waited_seconds"] == 12  # the wait stopped at the answer
    assert later["active_seconds"] == 30


def test_a_waiting_case_has_no_talk_time_and_its_wait_runs_on(desk: Desk) -> None:
    case, _ = desk.press()
    desk.clock.advance(7)
    view = desk.engine.agent_view(case.id)

    assert view["waited_seconds"] == 7
    assert view["active_seconds"] is None
