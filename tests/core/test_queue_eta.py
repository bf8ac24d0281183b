"""Queue order, the learning ETA, and when a waiting customer is told their position again."""

from __future__ import annotations

import pytest

from server.core.agents import Presence
from server.core.engine import Outcome
from server.core.eta import EwmaEstimator
from server.core.state import MemoryDispatchState, QueueEntry
from server.signalling.messages import ToCustomer
from tests.core.conftest import T0, DeskFactory, to_customer

# --- the estimator --------------------------------------------------------------------------


def test_a_queue_never_observed_is_estimated_at_the_prior() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.3)
    assert estimator.mean_wait("general") == 20


def test_each_observed_wait_moves_the_estimate_by_alpha_of_the_difference() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.3)

    estimator.observe("general", 50)  # 20 + 0.3·(50 − 20)
    assert estimator.mean_wait("general") == pytest.approx(29.0)

    estimator.observe("general", 9)  # 29 + 0.3·(9 − 29)
    assert estimator.mean_wait("general") == pytest.approx(23.0)


def test_a_handful_of_fast_answers_forgets_a_slow_prior() -> None:
    estimator = EwmaEstimator(prior_seconds=60, alpha=0.3)
    for _ in range(15):
        estimator.observe("general", 10)
    assert estimator.mean_wait("general") == pytest.approx(10 + 50 * 0.7**15)
    assert estimator.mean_wait("general") < 10.3


def test_queues_learn_separately() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.5)
    estimator.observe("oncall", 40)
    assert estimator.mean_wait("oncall") == pytest.approx(30.0)
    assert estimator.mean_wait("general") == 20


def test_a_negative_wait_counts_as_zero() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.3)
    estimator.observe("general", -5)
    assert estimator.mean_wait("general") == pytest.approx(14.0)


def test_alpha_one_trusts_only_the_last_wait() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=1)
    estimator.observe("general", 7)
    assert estimator.mean_wait("general") == 7


@pytest.mark.parametrize("alpha", [0, -0.1, 1.01])
def test_alpha_outside_zero_to_one_is_refused(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        EwmaEstimator(prior_seconds=20, alpha=alpha)


@pytest.mark.parametrize(
    ("position", "agents", "eta"),
    [(1, 1, 20), (2, 1, 40), (3, 1, 60), (1, 2, 20), (2, 2, 20), (3, 2, 40), (4, 2, 40),
     (5, 2, 60), (1, 3, 20), (3, 3, 20), (4, 3, 40)],
)
def test_the_eta_is_whole_rounds_of_the_serving_agents_times_the_mean_wait(
    position: int, agents: int, eta: float
) -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.3)
    assert estimator.eta("general", position, agents) == eta


def test_the_eta_uses_the_learned_mean() -> None:
    estimator = EwmaEstimator(prior_seconds=20, alpha=0.3)
    estimator.observe("general", 50)
    assert estimator.eta("general", 3, 2) == pytest.approx(2 * 29.0)


@pytest.mark.parametrize("agents", [0, -1])
def test_the_eta_is_unknown_when_nobody_serves_the_queue(agents: int) -> None:
    assert EwmaEstimator(prior_seconds=20, alpha=0.3).eta("general", 1, agents) is None


# --- queue order ----------------------------------------------------------------------------


def test_the_queue_puts_returned_cases_first_then_higher_priority_then_older() -> None:
    state = MemoryDispatchState()
    state.enqueue(QueueEntry("old-normal", "general", 0, False, T0))
    state.enqueue(QueueEntry("new-normal", "general", 0, False, T0 + 5))
    state.enqueue(QueueEntry("urgent", "general", 10, False, T0 + 9))
    state.enqueue(QueueEntry("returned", "general", 0, True, T0 + 20))
    state.enqueue(QueueEntry("older-urgent", "general", 10, False, T0 + 1))
    state.enqueue(QueueEntry("elsewhere", "oncall", 99, True, T0 - 100))

    assert [e.case_id for e in state.waiting("general")] == [
        "returned", "older-urgent", "urgent", "old-normal", "new-normal"]


def test_enqueueing_a_case_again_replaces_its_place() -> None:
    state = MemoryDispatchState()
    state.enqueue(QueueEntry("a", "general", 0, False, T0))
    state.enqueue(QueueEntry("b", "general", 0, False, T0 + 1))
    state.enqueue(QueueEntry("a", "oncall", 0, False, T0))

    assert [e.case_id for e in state.waiting("general")] == ["b"]
    assert [e.case_id for e in state.waiting("oncall")] == ["a"]


PRIORITY_RULES = """\
default_queue = "general"

[queues.general]

[[rules]]
name = "urgent"
when = { payment_step = "payment" }
queue = "general"
priority = 10
"""


def last_status(effects: list[Outcome], case_id: str) -> ToCustomer:
    statuses = to_customer(effects, "queue_status", case_id)
    assert statuses, f"case {case_id} was told nothing"
    return statuses[-1]


def test_a_higher_priority_case_is_told_it_is_ahead_of_older_ones(make_desk: DeskFactory) -> None:
    desk = make_desk(rules=PRIORITY_RULES)
    desk.agent("lisa", presence=Presence.BUSY)  # serving, but not taking offers
    seen: list[Outcome] = []
    first, effects = desk.press()
    seen += effects
    desk.clock.advance(1)
    second, effects = desk.press()
    seen += effects
    desk.clock.advance(1)
    urgent, effects = desk.press(payment_step="payment")
    seen += effects

    assert last_status(seen, urgent.id).payload["position"] == 1
    assert last_status(seen, first.id).payload["position"] == 2
    assert last_status(seen, second.id).payload["position"] == 3


# --- announcements --------------------------------------------------------------------------


def test_a_waiting_customer_is_told_the_queue_their_position_and_eta(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    case, effects = desk.press()

    (status,) = to_customer(effects, "queue_status")
    assert status.case_id == case.id
    assert status.payload == {
        "case_id": case.id,
        "queue": "general",
        "queue_title": {"sv": "Support", "en": "Support"},
        "position": 1,
        "eta_seconds": 20,
        "promise_seconds": 60,
    }


def test_a_newcomer_is_announced_without_repeating_it_to_those_ahead(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    first, _ = desk.press()
    second, effects = desk.press()

    statuses = to_customer(effects, "queue_status")
    assert [(s.case_id, s.payload["position"], s.payload["eta_seconds"]) for s in statuses] == [
        (second.id, 2, 40)]


def test_a_tick_with_no_change_announces_nothing(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    desk.press()
    desk.press()

    for seconds in (1, 5, 10, 20):
        assert to_customer(desk.tick_at(seconds), "queue_status") == []


def test_when_a_case_ahead_leaves_those_behind_are_told_their_new_position(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    first, _ = desk.press()
    second, _ = desk.press()
    third, _ = desk.press()
    desk.tick_at(5)

    effects = desk.engine.cancel(first.id)

    statuses = to_customer(effects, "queue_status")
    assert [(s.case_id, s.payload["position"], s.payload["eta_seconds"]) for s in statuses] == [
        (second.id, 1, 20), (third.id, 2, 40)]
    assert to_customer(desk.tick_at(6), "queue_status") == []


def test_only_the_customer_whose_eta_changed_is_told_when_an_agent_starts_serving(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    first, _ = desk.press()
    second, _ = desk.press()

    effects = desk.agent("omar", presence=Presence.BUSY)  # two serving: ⌈1/2⌉ = ⌈2/2⌉ = 1 round

    statuses = to_customer(effects, "queue_status")
    assert [(s.case_id, s.payload["position"], s.payload["eta_seconds"]) for s in statuses] == [
        (second.id, 2, 20)]


def test_with_nobody_serving_the_eta_is_unknown(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=None)  # signed in but away
    _, effects = desk.press()
    (status,) = to_customer(effects, "queue_status")
    assert status.payload["eta_seconds"] is None
    assert status.payload["position"] == 1


def test_an_answered_case_ahead_moves_the_next_customer_up(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", max_concurrent=1)
    first, _ = desk.press()
    second, _ = desk.press()
    assert desk.offered_to(first.id) == "lisa"

    desk.clock.advance(4)
    effects = desk.engine.accept("lisa", first.id)

    # lisa is now full; she still serves the queue, and the learned mean is 20 + 0.3·(4 − 20)
    (status,) = to_customer(effects, "queue_status")
    assert status.case_id == second.id
    assert status.payload["position"] == 1
    assert status.payload["eta_seconds"] == 16  # ⌈15.2⌉


def test_a_reconnecting_customer_is_told_their_place_again(make_desk: DeskFactory) -> None:
    desk = make_desk()
    desk.agent("lisa", presence=Presence.BUSY)
    case, _ = desk.press()
    desk.engine.customer_disconnected(case.id)
    desk.tick_at(3)

    effects = desk.engine.customer_reconnected(case.id)

    (status,) = to_customer(effects, "queue_status")
    assert (status.case_id, status.payload["position"], status.payload["eta_seconds"]) == (case.id, 1, 20)
    assert desk.engine.customer_view(case.id)["position"] == 1
