"""Two nodes acting on the same agent in the same instant: each engine decides on its own view,
the shared state (the machine's Redis) lets one win, and the other takes the shared truth and
decides again (server/core/engine/overruling.py). No agent above capacity, no case offered twice,
no case lost; and nothing the losing node decided on the refused command is said to anyone."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

import pytest
from redis.asyncio import Redis

from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import WriteThroughDispatchState
from server.core.agents import AgentProfile, Presence
from server.core.clock import ManualClock
from server.core.context import CaseContext
from server.core.engine import CaseEngine
from server.core.errors import OfferNotFound
from server.core.events import AgentJoined, CaseAssigned, OfferMade
from server.core.routing import load_rules
from server.settings import DEFAULT_RULES
from tests.support.engine import default_engine_config
from tests.support.redis import delete_prefix, unique_prefix

pytestmark = pytest.mark.redis

T0 = 1_800_000_000.0


class Node:
    """One node: its engine on its view of the shared state (no feed: views stay stale)."""

    def __init__(self, name: str, view: WriteThroughDispatchState) -> None:
        ids = itertools.count(1)
        self.view = view
        self.engine = CaseEngine(default_engine_config(), load_rules(DEFAULT_RULES), ManualClock(T0),
                                 state=view, new_id=lambda: f"{name}-{next(ids)}")

    def agent(self, agent_id: str, capacity: int = 1) -> None:
        self.engine.agent_connected(AgentProfile(agent_id, agent_id.title(),
                                                 max_concurrent=capacity))
        self.engine.set_presence(agent_id, Presence.AVAILABLE)

    def press(self) -> tuple[str, list[Any]]:
        case, outcomes = self.engine.open_case(CaseContext(store="s1"))
        return case.id, outcomes

    async def carry_out(self, batch: Sequence[Any]) -> tuple[list[Any], Exception | None]:
        """What the hub does before anything is sent: write through, take back, decide again."""
        out = list(batch)
        refused = await self.view.flush()
        if refused:
            out += self.engine.overruled(refused)
            assert await self.view.flush() == []
        kept, refusal = self.engine.unsaid(out)
        return kept, refusal


@pytest.fixture
async def two_nodes(redis_url: str) -> AsyncIterator[tuple[Node, Node, RedisDispatchState]]:
    prefix = unique_prefix("overruled")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(delete_prefix, redis_url, prefix)
        made = []
        for name in ("node-a", "node-b", "observer"):
            client = Redis.from_url(redis_url, decode_responses=True)
            stack.push_async_callback(client.aclose)
            made.append(RedisDispatchState(client, prefix, node_id=name))
        views = [WriteThroughDispatchState(state) for state in made[:2]]
        for view in views:
            await view.start()
        yield Node("a", views[0]), Node("b", views[1]), made[2]


def offers_in(batch: Sequence[Any]) -> list[tuple[str, str]]:
    return [(o.agent_id, o.case_id) for o in batch if isinstance(o, OfferMade)]


async def test_two_nodes_ringing_one_agent_at_once_ring_them_once_and_the_other_case_waits(
        two_nodes: tuple[Node, Node, RedisDispatchState]) -> None:
    a, b, shared = two_nodes
    a.agent("lisa")
    b.agent("lisa")  # Lisa's console is open on both nodes (the balancer spread her tabs)
    b.agent("omar")  # Omar's only on B
    await a.carry_out([])
    await b.carry_out([])
    b.engine.set_presence("omar", Presence.AWAY)
    await b.carry_out([])
    conflicts = b.view.conflicts
    # a Help press on each node in the same instant: both views see Lisa free
    (case_a, pressed_a), (case_b, pressed_b) = a.press(), b.press()
    assert b.engine.state.offer_for_agent("lisa") is not None  # B rang Lisa on its view
    said_a, _ = await a.carry_out(pressed_a)
    said_b, refusal = await b.carry_out(pressed_b)
    assert refusal is None
    assert offers_in(said_a) == [("lisa", case_a)]
    assert offers_in(said_b) == []  # B's offer to Lisa lost: she is never told of it
    assert b.view.conflicts == conflicts + 1
    assert b.engine.case(case_b).state.value == "queued"
    assert [o.case_id for o in await shared.offers()] == [case_a]
    waiting = {e.case_id for q in await shared.queue_names() for e in await shared.waiting(q)}
    assert waiting == {case_a, case_b}  # nothing lost: A's still waits for Lisa's answer
    # Omar comes back on B: B's case goes to him, not to Lisa
    said_b, _ = await b.carry_out(b.engine.set_presence("omar", Presence.AVAILABLE))
    assert offers_in(said_b) == [("omar", case_b)]
    lisa, omar = await shared.agent("lisa"), await shared.agent("omar")
    assert lisa is not None and omar is not None
    assert {o.agent_id for o in await shared.offers()} == {"lisa", "omar"}


async def test_an_accept_the_shared_state_refused_tells_the_agent_the_offer_is_gone(
        two_nodes: tuple[Node, Node, RedisDispatchState]) -> None:
    a, _, shared = two_nodes
    a.agent("lisa")
    case_id, pressed = a.press()
    said, _ = await a.carry_out(pressed)
    assert offers_in(said) == [("lisa", case_id)]
    # another node takes the offer back (Lisa went away on her other console) before A hears
    assert await shared.withdraw(case_id) is not None
    said, refusal = await a.carry_out(a.engine.accept("lisa", case_id))
    assert isinstance(refusal, OfferNotFound) and refusal.code == "offer_not_found"
    assert not [o for o in said if isinstance(o, AgentJoined | CaseAssigned)]  # nobody is told
    case = a.engine.case(case_id)
    assert (case.state.value, case.agent_id) == ("queued", None)
    lisa = await shared.agent("lisa")
    assert lisa is not None and lisa.cases == frozenset()
    assert await shared.entry(case_id) is not None and await shared.offers() == []
    assert a.view.agent("lisa") == lisa and a.view.offer_for_case(case_id) is None


async def test_a_node_that_hears_an_offer_was_taken_back_tells_the_agent_and_offers_again(
        two_nodes: tuple[Node, Node, RedisDispatchState]) -> None:
    a, _, shared = two_nodes
    a.agent("lisa")
    case_id, pressed = a.press()
    await a.carry_out(pressed)
    await shared.withdraw(case_id)
    await a.view.follow(await a.view.shared.read_feed(a.view.revision, 10))
    said, _ = await a.carry_out(a.engine.reconsider())
    withdrawn = [o for o in said if type(o).__name__ == "OfferWithdrawn"]
    assert [(o.agent_id, o.case_id, o.reason) for o in withdrawn] == [
        ("lisa", case_id, "overruled")]
    # and the case is rung again (Lisa is still free): the story goes on coherently
    assert offers_in(said) == [("lisa", case_id)]
    offer = await shared.offer_for_case(case_id)
    assert offer is not None and offer.agent_id == "lisa"


