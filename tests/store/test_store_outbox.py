"""The outbox table: rows committed with their decision, claimed by one node at a time, finished.

Every test runs on SQLite and on PostgreSQL (tests/store/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from server.core.case import Case
from server.core.effects import QueueWebhook
from server.store import CaseRepository, Database
from server.store.outbox import OutboxRepository

T0 = 1_800_000_000.0
LEASE = 60.0


def job(delivery_id: str = "d-1", case_id: str | None = "c-1", at: float = T0) -> QueueWebhook:
    return QueueWebhook(delivery_id, "pos.item_unlocked", "http://127.0.0.1:9/unlock",
                        {"event": "item_unlocked", "delivery_id": delivery_id, "sku": "starkol-50",
                         "at": at}, at, case_id)


async def test_a_row_queued_in_a_case_batch_is_committed_with_the_case(
    db: Database, make_case: Callable[..., Case]
) -> None:
    cases, outbox = CaseRepository(db), OutboxRepository(db)
    woken: list[int] = []
    cases.delivery_listeners.append(lambda: woken.append(1))
    async with cases.batch() as batch:
        await batch.save_cases([make_case("c-1")])
        await batch.queue_delivery(job())
        assert woken == []  # not before the commit
    assert woken == [1]
    row = await outbox.get("d-1")
    assert row is not None and await cases.get("c-1") is not None
    assert (row.status, row.attempts, row.next_attempt_at, row.claimed_until) == (
        "pending", 0, T0, None)
    assert row.kind == "pos.item_unlocked" and row.case_id == "c-1"
    assert row.payload == job().payload
    assert [d.id for d in await outbox.of_case("c-1")] == ["d-1"]


async def test_a_rolled_back_batch_leaves_neither_the_decision_nor_its_row(
    db: Database, make_case: Callable[..., Case]
) -> None:
    cases, outbox = CaseRepository(db), OutboxRepository(db)
    woken: list[int] = []
    cases.delivery_listeners.append(lambda: woken.append(1))
    with pytest.raises(RuntimeError):
        async with cases.batch() as batch:
            await batch.save_cases([make_case("c-1")])
            await batch.queue_delivery(job())
            raise RuntimeError("the transaction fails")
    assert await outbox.get("d-1") is None and await cases.get("c-1") is None
    assert woken == []


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([job()])
    [claimed] = await outbox.claim_due(T0, LEASE, 10)
    assert claimed.claimed_until == T0 + LEASE
    assert await outbox.claim_due(T0 + 1, LEASE, 10) == []
    assert await outbox.claim_due(T0 + LEASE, LEASE, 10) == []  # the lease's last instant
    [again] = await outbox.claim_due(T0 + LEASE + 0.001, LEASE, 10)
    assert again.id == "d-1"
    # the first holder's lease is over: it can no longer finish the row
    assert await outbox.mark_delivered(claimed, T0 + LEASE + 1) is None
    done = await outbox.mark_delivered(again, T0 + LEASE + 1)
    assert done is not None and done.status == "delivered" and done.attempts == 1


async def test_of_two_nodes_claiming_at_once_exactly_one_gets_each_row(
    database_url: str,
) -> None:
    first, second = Database(database_url), Database(database_url)
    await first.start()
    await second.start()
    try:
        await OutboxRepository(first).add([job(f"d-{n}") for n in range(10)])
        a, b = await asyncio.gather(OutboxRepository(first).claim_due(T0, LEASE, 10),
                                    OutboxRepository(second).claim_due(T0, LEASE, 10))
        ids_a, ids_b = {d.id for d in a}, {d.id for d in b}
        assert ids_a.isdisjoint(ids_b) and ids_a | ids_b == {f"d-{n}" for n in range(10)}
    finally:
        await first.close()
        await second.close()


async def test_a_failed_attempt_is_due_again_at_its_retry_and_counted(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([job()])
    [claimed] = await outbox.claim_due(T0, LEASE, 10)
    failed = await outbox.mark_failed(claimed, "HTTP 503", retry_at=T0 + 2)
    assert failed is not None
    assert (failed.status, failed.attempts, failed.last_error, failed.claimed_until) == (
        "pending", 1, "HTTP 503", None)
    assert await outbox.claim_due(T0 + 1.999, LEASE, 10) == []
    [retry] = await outbox.claim_due(T0 + 2, LEASE, 10)
    delivered = await outbox.mark_delivered(retry, T0 + 2.5)
    assert delivered is not None
    assert (delivered.status, delivered.attempts, delivered.delivered_at) == ("delivered", 2, T0 + 2.5)
    assert await outbox.claim_due(T0 + 100, LEASE, 10) == []  # delivered rows are done


async def test_a_row_given_up_is_never_claimed_again(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([job()])
    [claimed] = await outbox.claim_due(T0, LEASE, 10)
    gave_up = await outbox.mark_failed(claimed, "ClientConnectorError", retry_at=None)
    assert gave_up is not None and gave_up.status == "given_up" and gave_up.attempts == 1
    assert await outbox.claim_due(T0 + 10_000, LEASE, 10) == []


async def test_a_released_claim_is_due_at_once(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([job()])
    [claimed] = await outbox.claim_due(T0, LEASE, 10)
    await outbox.release(claimed)
    [again] = await outbox.claim_due(T0 + 0.1, LEASE, 10)
    assert again.attempts == 0


async def test_the_backlog_counts_pending_rows_and_knows_when_the_next_is_due(db: Database) -> None:
    outbox = OutboxRepository(db)
    empty = await outbox.backlog()
    assert (empty.pending, empty.oldest_created_at, empty.next_due_at) == (0, None, None)
    await outbox.add([job("d-old", at=T0), job("d-new", at=T0 + 5)])
    backlog = await outbox.backlog()
    assert (backlog.pending, backlog.oldest_created_at, backlog.next_due_at) == (2, T0, T0)
    await outbox.claim_due(T0, LEASE, 1)  # d-old is claimed until T0 + 60
    assert (await outbox.backlog()).next_due_at == T0 + 5


async def test_claims_take_the_oldest_due_rows_first_up_to_the_limit(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([job("d-3", at=T0 + 3), job("d-1", at=T0 + 1), job("d-2", at=T0 + 2)])
    assert [d.id for d in await outbox.claim_due(T0 + 10, LEASE, 2)] == ["d-1", "d-2"]
    assert [d.id for d in await outbox.claim_due(T0 + 10, LEASE, 2)] == ["d-3"]
