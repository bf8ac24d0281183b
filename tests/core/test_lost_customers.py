"""A customer whose connection is lost while waiting: not counted, but their place is kept.

Engine.IO notices a silent socket within seconds (ping_interval_seconds + 2 × ping_timeout_seconds);
from then on the case is away: it is not offered, not counted in the agents' overview and not
ahead of anyone in the positions the other customers are told, yet it keeps its entry for
customer_grace_seconds, so a customer who comes back takes up exactly their old place.
"""

from __future__ import annotations

from typing import Any

from server.core.agents import Presence
from server.core.case import CaseState
from server.core.history import CallFailed
from server.signalling.messages import ToAllAgents

from .conftest import Desk, DeskFactory, to_customer, wire

S = CaseState


def broadcasts(effects: list[Any]) -> list[dict[str, Any]]:
    return [e.payload for e in wire(effects) if isinstance(e, ToAllAgents) and e.event == "queues"]


def general(overview: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in overview["queues"] if q["name"] == "general")


def two_waiting(desk: Desk) -> tuple[str, str]:
    desk.agent("lisa", presence=Presence.BUSY)  # can serve, but is busy: both wait
    first, _ = desk.press()
    second, _ = desk.press()
    return first.id, second.id


def test_a_lost_waiting_customer_is_not_counted_in_the_agents_overview(desk: Desk) -> None:
    first, second = two_waiting(desk)

    effects = desk.engine.customer_disconnected(first)

    [broadcast] = broadcasts(effects)
    queue = general(broadcast)
    assert (queue["waiting"], queue["away"]) == (1, 1)
    assert [c["case_id"] for c in queue["cases"]] == [second]
    assert general(desk.engine.queue_overview()) == queue | {"longest_wait_seconds": 0.0}


def test_the_customers_behind_a_lost_one_move_up(desk: Desk) -> None:
    first, second = two_waiting(desk)

    effects = desk.engine.customer_disconnected(first)

    assert [(s.case_id, s.payload["position"]) for s in to_customer(effects, "queue_status")] == [
        (second, 1)]


def test_a_lost_customer_back_within_the_grace_takes_up_their_old_place(desk: Desk) -> None:
    first, second = two_waiting(desk)
    desk.engine.customer_disconnected(first)
    desk.advance(29.9)

    effects = desk.engine.customer_reconnected(first)

    positions = {s.case_id: s.payload["position"] for s in to_customer(effects, "queue_status")}
    assert positions == {first: 1, second: 2}
    assert desk.engine.customer_view(first)["position"] == 1
    queue = general(broadcasts(effects)[0])
    assert (queue["waiting"], queue["away"]) == (2, 0)
    assert [c["case_id"] for c in queue["cases"]] == [first, second]
    assert desk.engine.case(first).state is S.QUEUED


def test_a_lost_customer_gone_past_the_grace_is_abandoned_and_no_longer_away(desk: Desk) -> None:
    first, second = two_waiting(desk)
    desk.engine.customer_disconnected(first)
    assert desk.engine.case(first).state is S.QUEUED
    desk.advance(29.9)
    assert desk.engine.case(first).state is S.QUEUED

    effects = desk.advance(0.1)

    case = desk.engine.case(first)
    assert case.state is S.ABANDONED
    assert case.events[-1].detail == {"reason": "customer_disconnected"}
    queue = general(desk.engine.queue_overview())
    assert (queue["waiting"], queue["away"]) == (1, 0)
    assert to_customer(effects, "queue_status") == []  # the second was already told position 1


def test_a_lost_customer_is_not_offered_to_an_agent_who_becomes_free(desk: Desk) -> None:
    first, second = two_waiting(desk)
    desk.engine.customer_disconnected(first)

    desk.engine.set_presence("lisa", Presence.AVAILABLE)

    assert desk.offered_to(first) is None
    assert desk.offered_to(second) == "lisa"


def test_the_promise_of_a_lost_customer_is_judged_by_the_place_they_come_back_to(
    desk: Desk,
) -> None:
    first, second = two_waiting(desk)
    desk.engine.customer_disconnected(second)

    # not 0 (absent from the counted queue): second again behind the connected first
    assert desk.engine._position(desk.engine.case(second)) == 1 + 1
    assert desk.engine._position(desk.engine.case(first)) == 1


# --- a call and the chat link lost together (a frozen device) ------------------------------


def _call_failed_then_link_lost(make_desk: DeskFactory, gap: float) -> Any:
    desk = make_desk(call_loss_window_seconds=9.0, customer_grace_seconds=30)
    desk.agent("lisa", max_concurrent=1)
    case = desk.answered("lisa")
    # the inactivity watchdog fails the call first; the socket is noticed `gap` seconds later
    case.apply(CallFailed(desk.now, role="customer", reason="media_inactive", channel="video"))
    desk.clock.advance(gap)
    desk.engine.customer_disconnected(case.id)
    desk.advance(30)
    return case


def test_a_call_that_failed_within_the_window_before_the_link_takes_the_technical_error_path(
    make_desk: DeskFactory,
) -> None:
    case = _call_failed_then_link_lost(make_desk, gap=9.0)
    assert case.state is S.CALLBACK_REQUESTED


def test_a_call_that_failed_longer_before_the_link_was_lost_only_marks_the_customer_dropped(
    make_desk: DeskFactory,
) -> None:
    case = _call_failed_then_link_lost(make_desk, gap=9.1)
    assert case.state is S.ACTIVE and case.customer_dropped
