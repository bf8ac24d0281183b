"""Purchases, exposures and the report's data set, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from server.core.case import Case, CaseState
from server.store import AgentRepository, AnalyticsRepository, CaseRepository, Database


async def test_purchases_and_exposures_are_idempotent(db: Database) -> None:
    repo = AnalyticsRepository(db)
    first = await repo.add_purchase(order_id="o1", session_id="s", store="st", amount=142.5,
                                    currency="sek", at=100.0, received_at=101.0)
    again = await repo.add_purchase(order_id="o1", session_id="s", store="st", amount=142.5,
                                    currency="SEK", at=100.0, received_at=102.0)
    assert first.created and not again.created
    assert again.row["amount"] == 142.5 and again.row["currency"] == "SEK"
    assert (await repo.add_exposure(session_id="s", store="st", variant="A", at=5.0)).created
    repeat = await repo.add_exposure(session_id="s", store="st", variant="B", at=6.0)
    assert not repeat.created and repeat.row["variant"] == "A"


async def test_dataset_reads_cases_with_events_and_a_lookahead(
    db: Database, make_case: Callable[..., Case]
) -> None:
    cases = CaseRepository(db)
    inside = make_case("in", created_at=1000.0, session_id="s")
    inside.transition(CaseState.QUEUED, 1001.0)
    inside.transition(CaseState.OFFERED, 1005.0, agent_id="a-1")
    inside.transition(CaseState.ACTIVE, 1011.0, agent_id="a-1")
    await cases.save(inside)
    await cases.save(make_case("later", created_at=2500.0, session_id="s"))
    await cases.save(make_case("far", created_at=9000.0))
    repo = AnalyticsRepository(db)
    await repo.add_purchase(order_id="o", session_id="s", store="s1", amount=10.0, currency="SEK",
                            at=1500.0, received_at=1500.0)
    await repo.add_purchase(order_id="late", session_id="s", store="s1", amount=10.0,
                            currency="SEK", at=2500.0, received_at=2500.0)
    await repo.add_exposure(session_id="s", store="s1", variant="B", at=999.5)
    data = await repo.dataset(900.0, 2000.0, lookahead=1000.0)
    assert [c.id for c in data.cases] == ["in", "later"]
    assert data.cases[0].wait_seconds == 10.0
    assert [p.order_id for p in data.purchases] == ["o"]
    assert [e.variant for e in data.exposures] == ["B"]


async def test_agent_roles_round_trip(db: Database) -> None:
    agents = AgentRepository(db)
    await agents.create("boss", "Boss", "hash", roles=["supervisor"])
    await agents.create("lisa", "Lisa", "hash")
    assert (await agents.by_username("boss")).roles == frozenset({"supervisor"})  # type: ignore[union-attr]
    assert (await agents.by_username("lisa")).roles == frozenset()  # type: ignore[union-attr]
