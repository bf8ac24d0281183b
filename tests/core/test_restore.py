"""After a restart the engine takes back the stored live cases: who waits where, who has what."""

from __future__ import annotations

import copy

from server.core.agents import AgentProfile
from server.core.case import Case, CaseState
from server.core.chat import ChatMessage
from server.core.history import decode, encode, replay
from tests.core.conftest import Desk, DeskFactory, to_agent

S = CaseState
LISA = AgentProfile(id="lisa", display_name="Lisa")


def stored(desk: Desk) -> tuple[list[Case], dict[str, list[ChatMessage]]]:
    """What a new process reads of the desk's open cases: each folded from its history, encoded
    and decoded as the store writes and reads it (free text is kept apart, on the row)."""
    cases = []
    for live in desk.engine.live_cases():
        case = replay(decode(encode(event)) for event in live.events)
        case.feedback_text = live.feedback_text
        assert case == live
        cases.append(case)
    return cases, {c.id: desk.engine.chats.of(c.id) for c in cases}


def test_waiting_cases_come_back_in_their_order_with_their_promise_clock(
    desk: Desk, make_desk: DeskFactory
) -> None:
    desk.agent("lisa", presence=None)  # signed in, away: both wait
    first, _ = desk.press()
    desk.clock.advance(3)
    second, _ = desk.press()
    cases, messages = stored(desk)

    after = make_desk()
    after.clock.advance(desk.now - after.now + 40)  # the restart took 40 s
    after.engine.restore(cases, messages, {}, grace_seconds=30)

    assert [e.case_id for e in after.engine.state.waiting("general")] == [first.id, second.id]
    restored = after.engine.case(first.id)
    assert restored.first_entered(S.QUEUED) == first.first_entered(S.QUEUED)


def test_an_offered_case_waits_again_and_is_offered_to_its_agent_once_the_customer_is_back(
    desk: Desk, make_desk: DeskFactory
) -> None:
    desk.agent("lisa")
    case, _ = desk.press()
    assert case.state is S.OFFERED
    cases, messages = stored(desk)

    after = make_desk()
    after.engine.restore(cases, messages, {}, grace_seconds=30)
    restored = after.engine.case(case.id)
    assert restored.state is S.QUEUED
    assert restored.events[-1].detail == {"reason": "server_restarted"}

    after.agent("lisa")
    assert after.offered_to(case.id) is None  # not while the customer may be gone
    effects = after.engine.customer_reconnected(case.id)
    assert [o.payload["case_id"] for o in to_agent(effects, "offer", "lisa")] == [case.id]


def test_an_active_case_is_the_agents_again_when_they_say_hello(
    desk: Desk, make_desk: DeskFactory
) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.engine.chat(case.id, "customer", "Kortet nekas", client_id="m-1")
    cases, messages = stored(desk)

    after = make_desk()
    after.engine.restore(cases, messages, {"lisa": LISA}, grace_seconds=30)
    effects = after.engine.agent_connected(LISA)

    (assigned,) = to_agent(effects, "case_assigned", "lisa")
    assert assigned.payload["case_id"] == case.id
    assert [m["text"] for m in assigned.payload["messages"]] == ["Kortet nekas"]
    assert assigned.payload["customer_connected"] is False  # until the customer resumes


def test_participants_get_the_restart_grace_then_the_usual_rules_apply(
    desk: Desk, make_desk: DeskFactory
) -> None:
    desk.agent("lisa", max_concurrent=1)
    active = desk.answered("lisa")
    waiting, _ = desk.press()
    cases, messages = stored(desk)

    after = make_desk()
    after.engine.restore(cases, messages, {"lisa": LISA}, grace_seconds=30)
    after.advance(29)
    assert (after.engine.case(active.id).state, after.engine.case(waiting.id).state) == (
        S.ACTIVE, S.QUEUED)
    after.advance(1)
    assert after.engine.case(waiting.id).state is S.ABANDONED
    # the agent never came back and nobody else can take over: we call the customer back
    assert after.engine.case(active.id).state is S.CALLBACK_REQUESTED


def test_a_case_whose_queue_is_gone_is_closed_with_the_reason(
    desk: Desk, make_desk: DeskFactory
) -> None:
    desk.agent("lisa", presence=None)
    case, _ = desk.press()
    cases, messages = stored(desk)
    cases[0].queue = "no-such-queue"

    after = make_desk()
    after.engine.restore(cases, messages, {}, grace_seconds=30)

    restored = after.engine.case(case.id)
    assert restored.state is S.CLOSED
    assert restored.events[-1].detail == {"by": "system", "reason": "not_resumable"}
    assert after.engine.state.waiting("general") == []


def test_finished_cases_are_not_taken_back(desk: Desk, make_desk: DeskFactory) -> None:
    case, _ = desk.press()  # nobody online: a callback request, which is finished
    assert case.is_finished

    after = make_desk()
    after.engine.restore([copy.deepcopy(case)], {}, {}, grace_seconds=30)

    assert case.id not in after.engine.cases


def test_an_adopted_active_case_is_assigned_at_once_to_its_agent_already_connected_here(
    desk: Desk, make_desk: DeskFactory
) -> None:
    """Adoption from a stopped node: the agent reconnected to the survivor before the cases
    arrived; the restore tells their console of the case straight away."""
    desk.agent("lisa")
    case = desk.answered("lisa")
    cases, messages = stored(desk)

    survivor = make_desk()
    survivor.agent("lisa")  # she is back, on this node, before the adoption
    effects = survivor.engine.restore(cases, messages, {"lisa": LISA}, grace_seconds=30)

    (assigned,) = to_agent(effects, "case_assigned", "lisa")
    assert assigned.payload["case_id"] == case.id
    status = survivor.engine.state.agent("lisa")
    assert status is not None and status.online and status.cases == frozenset({case.id})


def test_evicted_cases_go_without_a_write_an_event_or_a_dispatch_command(
    desk: Desk,
) -> None:
    """Another node adopted them: the engine forgets them as they are."""
    desk.agent("lisa", presence=None)
    waiting, _ = desk.press()
    before = (list(desk.engine.state.waiting("general")), list(desk.engine.state.agents()))

    assert desk.engine.evict([waiting.id, "unknown"]) == [waiting.id]

    assert waiting.id not in desk.engine.cases
    assert desk.engine.chats.of(waiting.id) == []
    assert (list(desk.engine.state.waiting("general")), list(desk.engine.state.agents())) == before
    desk.clock.advance(120)  # past every timer the case had (promise, grace)
    assert [e for e in desk.engine.tick() if getattr(e, "case_id", None) == waiting.id] == []
