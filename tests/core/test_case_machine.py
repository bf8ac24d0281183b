"""The case state machine: the table of allowed transitions is the whole truth, each step timestamped."""

from __future__ import annotations

import pytest

from server.core.case import TERMINAL, TRANSITIONS, WAITING, Case, CaseState
from server.core.errors import HelpwireError, InvalidTransition
from server.core.history import (
    INTO,
    Abandoned,
    Answered,
    CallbackRequested,
    CaseOpened,
    Closed,
    HistoryEvent,
    Offered,
    Overflowed,
    Queued,
    WrapUp,
)
from tests.core.conftest import T0

S = CaseState

#: a legal way to reach each state from a new case
PATH: dict[CaseState, list[CaseState]] = {
    S.CREATED: [],
    S.QUEUED: [S.QUEUED],
    S.OFFERED: [S.QUEUED, S.OFFERED],
    S.ACTIVE: [S.QUEUED, S.OFFERED, S.ACTIVE],
    S.WRAP_UP: [S.QUEUED, S.OFFERED, S.ACTIVE, S.WRAP_UP],
    S.CLOSED: [S.QUEUED, S.OFFERED, S.ACTIVE, S.WRAP_UP, S.CLOSED],
    S.ABANDONED: [S.QUEUED, S.ABANDONED],
    S.CALLBACK_REQUESTED: [S.CALLBACK_REQUESTED],
}

ALLOWED = [(source, target) for source in S for target in S if target in TRANSITIONS[source]]
DISALLOWED = [(source, target) for source in S for target in S if target not in TRANSITIONS[source]]


def step_into(target: CaseState, at: float, source: CaseState) -> HistoryEvent:
    """The event that moves a case from ``source`` to ``target``, with a typical detail."""
    steps: dict[CaseState, HistoryEvent] = {
        S.QUEUED: Queued(at, source, reason="test"),
        S.OFFERED: Offered(at, source, agent_id="a1"),
        S.ACTIVE: Answered(at, source, agent_id="a1", agent_name="Alva"),
        S.WRAP_UP: WrapUp(at, source, by="agent"),
        S.CLOSED: Closed(at, source, label="solved", resolved=True),
        S.ABANDONED: Abandoned(at, source, reason="test"),
        S.CALLBACK_REQUESTED: CallbackRequested(at, source, reason="test"),
    }
    return steps[target]


def new_case(case_id: str = "c1") -> Case:
    return Case(id=case_id, store="s1", channel="web", context={}, queue="general",
                skills=frozenset(), language="sv", first_channel="chat", priority=0,
                created_at=T0)


def case_in(state: CaseState) -> Case:
    case = new_case()
    for step, target in enumerate(PATH[state], start=1):
        case.apply(step_into(target, T0 + step, case.state))
    assert case.state is state
    return case


def test_the_table_names_every_state_and_only_known_states() -> None:
    assert set(TRANSITIONS) == set(CaseState)
    for targets in TRANSITIONS.values():
        assert targets <= set(CaseState)


def test_the_expected_flows_are_allowed() -> None:
    assert TRANSITIONS[S.QUEUED] >= {S.OFFERED, S.ABANDONED, S.CALLBACK_REQUESTED}
    assert S.QUEUED in TRANSITIONS[S.OFFERED], "a lapsed or declined offer returns to the queue"
    assert S.QUEUED in TRANSITIONS[S.ACTIVE], "an agent lost mid-case puts the case back in the queue"
    assert TRANSITIONS[S.WRAP_UP] == {S.CLOSED}


def test_a_new_case_is_created_with_a_timestamped_creation_event() -> None:
    case = new_case()
    assert case.state is S.CREATED
    assert case.events == [CaseOpened(
        T0, None, id="c1", store="s1", channel="web", context={}, queue="general", skills=(),
        language="sv", first_channel="chat", priority=0)]
    assert (case.events[0].kind, case.events[0].to_state) == ("transition", S.CREATED)
    assert case.entered(S.CREATED) == T0


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_every_allowed_transition_is_applied_and_stamped_with_the_given_time(
    source: CaseState, target: CaseState
) -> None:
    case = case_in(source)
    at = T0 + 1234.5
    assert case.can(target)

    event = case.apply(step_into(target, at, source))

    assert case.state is target
    assert type(event) is INTO[target]
    assert (event.at, event.kind, event.from_state, event.to_state) == (
        at, "transition", source, target)
    assert case.events[-1] is event
    assert case.entered(target) == at


@pytest.mark.parametrize(("source", "target"), DISALLOWED, ids=[f"{s}->{t}" for s, t in DISALLOWED])
def test_every_disallowed_transition_is_refused_naming_the_current_state(
    source: CaseState, target: CaseState
) -> None:
    case = case_in(source)
    history = list(case.events)
    assert not case.can(target)

    with pytest.raises(InvalidTransition) as refused:
        case.transition(target, T0 + 1234.5)
    if target is not S.CREATED:
        with pytest.raises(InvalidTransition):
            case.apply(step_into(target, T0 + 1234.5, source))

    error = refused.value
    assert isinstance(error, HelpwireError)
    assert error.code == "invalid_transition"
    assert f"is {source.value};" in str(error)
    assert target.value in str(error)
    assert (error.current, error.wanted) == (source.value, target.value)
    # nothing happened
    assert case.state is source
    assert case.events == history


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_accept_no_transition_at_all(terminal: CaseState) -> None:
    assert TRANSITIONS[terminal] == frozenset()
    case = case_in(terminal)
    assert case.is_terminal
    for target in S:
        assert not case.can(target)
        with pytest.raises(InvalidTransition):
            case.transition(target, T0 + 99)


def test_closed_and_abandoned_are_the_terminal_states_and_a_callback_request_can_still_be_closed() -> None:
    assert TERMINAL == {S.CLOSED, S.ABANDONED}
    assert TRANSITIONS[S.CALLBACK_REQUESTED] == {S.CLOSED}
    assert not case_in(S.CALLBACK_REQUESTED).is_terminal


def test_created_queued_and_offered_are_the_waiting_states() -> None:
    assert WAITING == {S.CREATED, S.QUEUED, S.OFFERED}
    for state in S:
        assert case_in(state).is_waiting is (state in WAITING)


def test_entered_gives_the_last_entry_and_first_entered_the_first() -> None:
    case = new_case()
    case.transition(S.QUEUED, T0 + 1)
    case.transition(S.OFFERED, T0 + 2, agent_id="a1")
    case.transition(S.QUEUED, T0 + 22, reason="offer_timeout")
    case.transition(S.OFFERED, T0 + 23, agent_id="a2")
    case.transition(S.ACTIVE, T0 + 30, agent_id="a2")

    assert case.first_entered(S.QUEUED) == T0 + 1
    assert case.entered(S.QUEUED) == T0 + 22
    assert case.first_entered(S.OFFERED) == T0 + 2
    assert case.entered(S.OFFERED) == T0 + 23
    assert case.first_entered(S.ACTIVE) == case.entered(S.ACTIVE) == T0 + 30
    assert case.first_entered(S.CREATED) == case.entered(S.CREATED) == T0


def test_entered_is_none_for_a_state_never_reached() -> None:
    case = case_in(S.ACTIVE)
    for state in (S.WRAP_UP, S.CLOSED, S.ABANDONED, S.CALLBACK_REQUESTED):
        assert case.entered(state) is None
        assert case.first_entered(state) is None


def test_recorded_facts_keep_the_state_and_do_not_count_as_entering_it() -> None:
    case = case_in(S.QUEUED)
    event = case.apply(Overflowed(T0 + 40, from_queue="general", to_queue="oncall"))

    assert case.state is S.QUEUED
    assert (event.kind, event.from_state, event.to_state, event.detail) == (
        "overflow", None, None, {"from_queue": "general", "to_queue": "oncall"})
    assert case.events[-1] is event
    assert case.entered(S.QUEUED) == T0 + 1
