"""The honest promise: the button promises an answer only when an agent able to serve is free now."""

from __future__ import annotations

from datetime import UTC, datetime

from server.core.agents import AgentProfile, AgentStatus, Presence
from server.core.display import DisplayRules, decide
from server.core.readiness import QueueLoad, assess

PAYMENTS = QueueLoad("payment-experts", frozenset({"payments"}), waiting=0)
GENERAL = QueueLoad("general", frozenset(), waiting=0)


def agent(presence: Presence, skills: tuple[str, ...] = ("payments",), cases: int = 0,
          languages: tuple[str, ...] = (), online: bool = True) -> AgentStatus:
    return AgentStatus(AgentProfile("a", "Lisa", frozenset(skills), frozenset(languages), 2),
                       presence=presence, online=online,
                       cases=frozenset(f"c{i}" for i in range(cases)))


def eta(queue: str, position: int, serving: int) -> float | None:
    return None if serving <= 0 else 45.0 * -(-position // serving)


def test_nobody_online_offers_a_callback() -> None:
    result = assess([PAYMENTS], [agent(Presence.AVAILABLE, online=False)], "sv", 60, eta)
    assert (result.verdict, result.reason) == ("callback", "no_agent_online")


def test_all_away_offers_a_callback_not_a_wait_without_end() -> None:
    result = assess([PAYMENTS], [agent(Presence.AWAY), agent(Presence.AWAY)], "sv", 60, eta)
    assert (result.verdict, result.reason) == ("callback", "all_agents_away")


def test_all_busy_queues_with_an_honest_estimate_instead_of_the_promise() -> None:
    result = assess([PAYMENTS], [agent(Presence.BUSY)], "sv", 60, eta)
    assert (result.verdict, result.reason, result.eta_seconds) == ("queue", "all_agents_busy", 45)


def test_available_but_at_capacity_counts_as_busy() -> None:
    result = assess([PAYMENTS], [agent(Presence.AVAILABLE, cases=2)], "sv", 60, eta)
    assert result.verdict == "queue"


def test_an_agent_without_the_skill_or_the_language_cannot_keep_it() -> None:
    assert assess([PAYMENTS], [agent(Presence.AVAILABLE, skills=())], "sv", 60,
                  eta).reason == "no_skilled_agent"
    assert assess([PAYMENTS], [agent(Presence.AVAILABLE, languages=("en",))], "sv", 60,
                  eta).reason == "no_skilled_agent"


def test_one_available_skilled_agent_keeps_the_promise() -> None:
    result = assess([PAYMENTS], [agent(Presence.AVAILABLE)], "sv", 60, eta)
    assert (result.verdict, result.reason, result.queue, result.eta_seconds) == (
        "promise", "ok", "payment-experts", 0)


def test_a_free_agent_with_a_long_queue_ahead_does_not_promise_what_the_estimate_breaks() -> None:
    crowded = QueueLoad("payment-experts", frozenset({"payments"}), waiting=3)
    result = assess([crowded], [agent(Presence.AVAILABLE)], "sv", 60, eta)
    assert (result.verdict, result.eta_seconds) == ("queue", 180)
    within = QueueLoad("payment-experts", frozenset({"payments"}), waiting=1)
    assert assess([within], [agent(Presence.AVAILABLE)], "sv", 60, eta).verdict == "queue"
    assert assess([within], [agent(Presence.AVAILABLE)], "sv", 90, eta).verdict == "promise"


def test_a_fallback_queue_that_can_answer_now_keeps_the_promise() -> None:
    result = assess([PAYMENTS, GENERAL], [agent(Presence.AVAILABLE, skills=())], "sv", 60, eta)
    assert (result.verdict, result.queue) == ("promise", "general")


def test_outside_hours_the_display_rules_win_over_a_free_agent() -> None:
    rules = DisplayRules(opening_hours={"mon": "closed"}, timezone="UTC")
    monday = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    ready = assess([PAYMENTS], [agent(Presence.AVAILABLE)], "sv", 60, eta)
    decision = decide(rules, page="/", channel="web", logged_in=False, at=monday, readiness=ready)
    assert (decision.reason, decision.promise) == ("outside_opening_hours", "callback")


def test_the_display_decision_carries_the_verdict_and_its_estimate() -> None:
    busy = assess([PAYMENTS], [agent(Presence.BUSY)], "sv", 60, eta)
    decision = decide(DisplayRules(), page="/", channel="web", logged_in=False,
                      at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC), readiness=busy)
    assert (decision.show, decision.promise, decision.eta_seconds, decision.reason) == (
        True, "queue", 45, "all_agents_busy")
