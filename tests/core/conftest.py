"""Builders shared by the core tests: a CaseEngine on a ManualClock with deterministic ids.

Nothing here sleeps, opens a socket or touches a database: time moves only when a test says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from server.core.agents import AgentProfile, AgentStatus, Presence
from server.core.case import Case
from server.core.clock import ManualClock
from server.core.context import Cart, CartLine, CaseContext
from server.core.engine import CaseEngine, Outcome
from server.core.routing import RuleSet, load_rules, parse_rules
from server.settings import DEFAULT_RULES
from server.signalling.messages import ToAgent, ToCustomer
from server.signalling.wire import Message, wire_of
from tests.support.engine import default_engine_config

#: the ManualClock's default start, so tests can say "T0 + 20"
T0 = 1_800_000_000.0


def cart_of(*prices: float) -> Cart:
    """A cart with one line per price, quantity 1."""
    return Cart(lines=[CartLine(sku=f"sku-{i}", name=f"item {i}", quantity=1, unit_price=price)
                       for i, price in enumerate(prices, start=1)])


def context(**signals: Any) -> CaseContext:
    """A Help press from store s1; any routing signal may be overridden."""
    signals.setdefault("store", "s1")
    return CaseContext(**signals)


class Desk:
    """One engine, its clock, and short verbs for the facts tests feed it."""

    def __init__(self, engine: CaseEngine, clock: ManualClock) -> None:
        self.engine = engine
        self.clock = clock

    # --- time

    @property
    def now(self) -> float:
        return self.clock.now()

    def tick_at(self, seconds_after_t0: float) -> list[Outcome]:
        """Move the clock to T0 + seconds (never backwards) and apply the timers."""
        self.clock.advance(T0 + seconds_after_t0 - self.clock.now())
        return self.engine.tick()

    def advance(self, seconds: float) -> list[Outcome]:
        self.clock.advance(seconds)
        return self.engine.tick()

    # --- agents

    def agent(
        self,
        agent_id: str,
        *,
        skills: Iterable[str] = (),
        languages: Iterable[str] = (),
        max_concurrent: int = 3,
        presence: Presence | None = Presence.AVAILABLE,
    ) -> list[Outcome]:
        """Sign an agent in and (by default) make them available."""
        profile = AgentProfile(
            id=agent_id,
            display_name=agent_id.capitalize(),
            skills=frozenset(skills),
            languages=frozenset(languages),
            max_concurrent=max_concurrent,
        )
        effects = self.engine.agent_connected(profile)
        if presence is not None and presence is not Presence.AWAY:
            effects += self.engine.set_presence(agent_id, presence)
        return effects

    def status(self, agent_id: str) -> AgentStatus:
        status = self.engine.state.agent(agent_id)
        assert status is not None, f"agent {agent_id} is not known to the engine"
        return status

    def offered_to(self, case_id: str) -> str | None:
        offer = self.engine.state.offer_for_case(case_id)
        return None if offer is None else offer.agent_id

    # --- customers

    def press(self, **signals: Any) -> tuple[Case, list[Outcome]]:
        return self.engine.open_case(context(**signals))

    def answered(self, agent_id: str, **signals: Any) -> Case:
        """A case opened and accepted by the given agent (who must be the one offered)."""
        case, _ = self.press(**signals)
        assert self.offered_to(case.id) == agent_id
        self.engine.accept(agent_id, case.id)
        return case


def wire(outcome: Iterable[Any]) -> list[Message]:
    """What the participants would be sent: the domain events in their wire form (as the
    signalling layer maps them), without the writes the persister carries out."""
    return wire_of(list(outcome))


def to_customer(outcome: Iterable[Any], event: str, case_id: str | None = None) -> list[ToCustomer]:
    return [e for e in wire(outcome)
            if isinstance(e, ToCustomer) and e.event == event and case_id in (None, e.case_id)]


def to_agent(outcome: Iterable[Any], event: str, agent_id: str | None = None) -> list[ToAgent]:
    return [e for e in wire(outcome)
            if isinstance(e, ToAgent) and e.event == event and agent_id in (None, e.agent_id)]


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"id-{next(numbers)}"


DeskFactory = Callable[..., Desk]


@pytest.fixture(scope="session")
def shipped_rules() -> RuleSet:
    return load_rules(DEFAULT_RULES)


@pytest.fixture
def make_desk(shipped_rules: RuleSet) -> DeskFactory:
    """make_desk(rules=<TOML text or None for the shipped file>, **EngineConfig fields)."""

    def make(rules: str | RuleSet | None = None, **config: Any) -> Desk:
        if rules is None:
            ruleset = shipped_rules
        elif isinstance(rules, str):
            ruleset = parse_rules(rules, "test-rules.toml")
        else:
            ruleset = rules
        clock = ManualClock(T0)
        engine = CaseEngine(default_engine_config(**config), ruleset, clock, new_id=counter_ids())
        return Desk(engine, clock)

    return make


@pytest.fixture
def desk(make_desk: DeskFactory) -> Desk:
    """An engine with the default configuration and the shipped rules file."""
    return make_desk()
