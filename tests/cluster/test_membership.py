"""Node membership on a real Redis and a real PostgreSQL: leases, who adopts a stopped node's
cases and when, and the store as the fence.

Each node is a ``Membership`` over its own Redis client on one test prefix and its own
``CaseRepository`` on one database; the clock deciding when a node is steady is a fake one, and
each heartbeat is one ``beat()`` call, so every step is awaited, never slept through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from server.cluster.membership import Membership
from server.cluster.redis_dispatch import RedisDispatchState
from server.cluster.replica import WriteThroughDispatchState
from server.core.case import Case, CaseState
from server.core.state import QueueEntry
from server.store import CaseRepository, Database
from tests.support.postgres import drop_helpwire_tables, require_postgres
from tests.support.redis import delete_prefix, unique_prefix

pytestmark = pytest.mark.redis

LEASE = 3.0
HEARTBEAT = 1.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Node:
    """One node's membership, with what it took over and let go."""

    membership: Membership
    view: WriteThroughDispatchState
    cases: CaseRepository
    held: set[str] = field(default_factory=set)
    taken: list[list[str]] = field(default_factory=list)
    let_go: list[set[str]] = field(default_factory=list)

    async def beat(self) -> list[str]:
        return await self.membership.beat()


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    url = await require_postgres()
    await drop_helpwire_tables(url)
    db = Database(url)
    await db.start()
    try:
        yield db
    finally:
        await db.close()
        await drop_helpwire_tables(url)


@pytest.fixture
async def cluster(redis_url: str, database: Database
                  ) -> AsyncIterator[Callable[[str], Node]]:
    prefix = unique_prefix("membership")
    clock = FakeClock()
    clients: list[Redis] = []

    def node(node_id: str) -> Node:
        client = Redis.from_url(redis_url, decode_responses=True)
        clients.append(client)
        view = WriteThroughDispatchState(RedisDispatchState(client, prefix, node_id=node_id))
        cases = CaseRepository(database)
        cases.host = node_id
        built: Node

        async def take_over(ids: list[str]) -> None:
            built.held.update(ids)
            built.taken.append(sorted(ids))

        async def let_go(ids: set[str]) -> None:
            built.held.difference_update(ids)
            built.let_go.append(set(ids))

        membership = Membership(view, cases, take_over, let_go, lambda: sorted(built.held),
                                LEASE, HEARTBEAT, monotonic=clock)
        built = Node(membership, view, cases)
        return built

    node.clock = clock  # type: ignore[attr-defined]
    try:
        yield node
    finally:
        for client in clients:
            await client.aclose()
        await delete_prefix(redis_url, prefix)


def live_case(case_id: str, created_at: float = 1000.0) -> Case:
    case = Case(id=case_id, store="s1", channel="app", context={}, queue="general",
                skills=frozenset(), language="sv", first_channel="chat", priority=0,
                created_at=created_at)
    case.transition(CaseState.QUEUED, created_at + 1)
    return case


async def steady(*nodes: Node, clock: FakeClock) -> None:
    """Every node beats until it has renewed its lease without a break for a whole lease."""
    for node in nodes:
        await node.beat()
    clock.now += LEASE
    for node in nodes:
        await node.beat()
        assert node.membership.steady


async def test_a_steady_node_adopts_the_live_cases_of_a_node_whose_lease_is_gone(
    cluster: Callable[[str], Node],
) -> None:
    clock: FakeClock = cluster.clock  # type: ignore[attr-defined]
    a, b = cluster("node-a"), cluster("node-b")
    await a.cases.save_many([live_case("c-1"), live_case("c-2", 1001.0)])
    a.held.update({"c-1", "c-2"})
    closed = live_case("c-old")
    closed.close_by_system(1002.0, "not_resumable")
    await a.cases.save(closed)
    # a queue entry of A's in the shared state, stamped with its node id
    await a.view.shared.enqueue(QueueEntry("c-1", "general", 0, False, 1001.0))
    await steady(a, b, clock=clock)
    assert await b.beat() == []  # A's lease is there: nothing to adopt

    await b.view.shared.redis.delete(a.membership.lease_key("node-a"))  # A was killed
    assert await b.beat() == ["node-a"]
    assert b.taken == [["c-1", "c-2"]]  # the live ones; the closed case stays where it is
    assert await b.cases.live_hosts() == {"node-b"}
    assert await b.view.shared.entry("c-1") is None  # A's entry went; B re-enqueues it
    assert b.membership.cases_adopted == 2 and b.membership.nodes_adopted == 1
    assert await b.beat() == []  # once


async def test_of_two_survivors_one_adopts_and_the_other_finds_nothing(
    cluster: Callable[[str], Node],
) -> None:
    clock: FakeClock = cluster.clock  # type: ignore[attr-defined]
    a, b, c = cluster("node-a"), cluster("node-b"), cluster("node-c")
    await a.cases.save(live_case("c-1"))
    await steady(a, b, c, clock=clock)
    await b.view.shared.redis.delete(a.membership.lease_key("node-a"))
    adopted = [await b.beat(), await c.beat()]
    assert sorted(map(len, adopted)) == [0, 1]
    assert (b.taken, c.taken) in (([["c-1"]], []), ([], [["c-1"]]))
    # even without the adoption key, the store's claim decides: nothing is left to take
    assert await c.membership.adopt("node-a") == 0


async def test_after_every_lease_vanished_at_once_no_node_adopts_a_live_peer(
    cluster: Callable[[str], Node],
) -> None:
    """A Redis restart (or flush): every lease is gone. Each node sees its own lease was lost
    and adopts nothing for a whole lease, by when its live peers have renewed theirs."""
    clock: FakeClock = cluster.clock  # type: ignore[attr-defined]
    a, b = cluster("node-a"), cluster("node-b")
    await a.cases.save(live_case("c-a"))
    await b.cases.save(live_case("c-b"))
    a.held.add("c-a")
    b.held.add("c-b")
    await steady(a, b, clock=clock)
    redis = a.view.shared.redis
    await redis.delete(a.membership.lease_key("node-a"), b.membership.lease_key("node-b"))

    assert await b.beat() == []  # B's renewal finds its lease gone: not steady any more
    assert not b.membership.steady and b.membership.leases_lost == 1
    clock.now += HEARTBEAT
    assert await a.beat() == []  # A renews one heartbeat later
    for _ in range(int(LEASE / HEARTBEAT) + 1):
        clock.now += HEARTBEAT
        assert await b.beat() == [] and await a.beat() == []
    assert b.membership.steady and a.membership.steady
    assert (a.taken, b.taken, a.let_go, b.let_go) == ([], [], [], [])
    assert await a.cases.live_hosts() == {"node-a", "node-b"}


async def test_a_node_that_lost_its_lease_and_its_cases_drops_them_and_its_writes_are_fenced(
    cluster: Callable[[str], Node],
) -> None:
    """A was cut off from Redis for longer than a lease: B adopted its case. A comes back: its
    first renewal finds its lease gone, it asks the store and lets the case go; a write of it
    in between is refused (the adoption's update is the fence)."""
    clock: FakeClock = cluster.clock  # type: ignore[attr-defined]
    a, b = cluster("node-a"), cluster("node-b")
    case = live_case("c-1")
    await a.cases.save(case)
    a.held.add("c-1")
    await steady(a, b, clock=clock)
    await b.view.shared.redis.delete(a.membership.lease_key("node-a"))  # A's lease ran out
    assert await b.beat() == ["node-a"]

    case.transition(CaseState.ABANDONED, 1005.0, reason="customer_left")
    async with a.cases.batch() as batch:
        assert await batch.fence(["c-1"]) == {"c-1"}
    stored = await b.cases.history("c-1")
    assert stored is not None and stored[0]["state"] == "queued"  # A wrote nothing

    assert await a.beat() == []
    assert a.let_go == [{"c-1"}] and a.held == set()
    assert a.membership.leases_lost == 1 and a.membership.cases_let_go == 1


async def test_a_restarted_node_with_the_same_id_waits_a_lease_before_adopting(
    cluster: Callable[[str], Node],
) -> None:
    clock: FakeClock = cluster.clock  # type: ignore[attr-defined]
    a, b = cluster("node-a"), cluster("node-b")
    await b.cases.save(live_case("c-b"))
    await steady(a, b, clock=clock)
    await b.view.shared.redis.delete(b.membership.lease_key("node-b"))  # B is gone
    again = cluster("node-a")  # A restarted: a new run under the same node id
    assert await again.beat() == [] and not again.membership.steady
    clock.now += LEASE
    assert await again.beat() == ["node-b"]
    assert again.taken == [["c-b"]]
