"""The outbox: deliveries announced by committed decisions, claimed with a lease, marked when done.

A row is inserted in the same transaction as the decision it announces (``insert_deliveries``,
called from ``CaseBatch.queue_delivery``), so a decision is never announced without being
stored, and never stored without its announcement. The worker (server/runtime/outbox.py)
claims due rows for ``lease`` seconds: a claim is one conditional ``UPDATE`` per row, so of
several server nodes exactly one wins it; the row is finished only by the claim's holder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.effects import QueueWebhook
from .database import Database
from .tables import outbox

PENDING = "pending"
DELIVERED = "delivered"
GIVEN_UP = "given_up"

#: last_error is a short problem label (an error type or "HTTP 503"), never a message or payload
ERROR_CHARS = 200


@dataclass(frozen=True)
class Delivery:
    id: str
    kind: str
    target: str
    payload: dict[str, Any]
    case_id: str | None
    created_at: float
    status: str
    attempts: int
    next_attempt_at: float
    claimed_until: float | None
    last_error: str | None
    delivered_at: float | None

    @classmethod
    def of(cls, row: Any) -> Delivery:
        return cls(**{column.name: row[column.name] for column in outbox.c})


@dataclass(frozen=True)
class Backlog:
    """What is still to deliver: for the metrics and for the worker's next wake-up."""

    pending: int
    oldest_created_at: float | None
    #: when the next pending row may be claimed (its next attempt, or its claim's end)
    next_due_at: float | None


async def insert_deliveries(conn: AsyncConnection, jobs: Sequence[QueueWebhook]) -> None:
    """Insert new pending rows, due at once, on a connection whose transaction the caller owns."""
    if not jobs:
        return
    await conn.execute(sa.insert(outbox), [
        {
            "id": job.delivery_id, "kind": job.kind, "target": job.target,
            "payload": job.payload, "case_id": job.case_id, "created_at": job.created_at,
            "status": PENDING, "attempts": 0, "next_attempt_at": job.created_at,
            "claimed_until": None, "last_error": None, "delivered_at": None,
        }
        for job in jobs
    ])


def _claimable(now: float) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.status == PENDING,
        outbox.c.next_attempt_at <= now,
        sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
    )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, jobs: Iterable[QueueWebhook]) -> None:
        """Queue deliveries in a transaction of their own (nothing else to commit with them)."""
        async with self._db.transaction() as conn:
            await insert_deliveries(conn, list(jobs))

    async def claim_due(self, now: float, lease_seconds: float, limit: int) -> list[Delivery]:
        """Claim up to ``limit`` due rows until ``now + lease_seconds``, oldest due first."""
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(outbox.c.id).where(_claimable(now))
                .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
            )
            candidates = [row[0] for row in result]
        if not candidates:
            return []
        until = now + lease_seconds
        claimed: list[Delivery] = []
        async with self._db.transaction() as conn:
            for delivery_id in candidates:
                # the WHERE is checked again under the row lock: a node that lost the race
                # updates nothing
                updated = await conn.execute(
                    sa.update(outbox).where(outbox.c.id == delivery_id, _claimable(now))
                    .values(claimed_until=until)
                )
                if updated.rowcount == 1:
                    row = (await conn.execute(
                        sa.select(outbox).where(outbox.c.id == delivery_id))).mappings().one()
                    claimed.append(Delivery.of(row))
        return claimed

    async def _finish(self, delivery: Delivery, **values: Any) -> Delivery | None:
        """Update a row this node claims; None when the claim was lost (its lease ran out)."""
        async with self._db.transaction() as conn:
            updated = await conn.execute(
                sa.update(outbox).where(
                    outbox.c.id == delivery.id, outbox.c.status == PENDING,
                    outbox.c.claimed_until == delivery.claimed_until,
                ).values(claimed_until=None, **values)
            )
            if updated.rowcount != 1:
                return None
            row = (await conn.execute(
                sa.select(outbox).where(outbox.c.id == delivery.id))).mappings().one()
            return Delivery.of(row)

    async def mark_delivered(self, delivery: Delivery, now: float) -> Delivery | None:
        return await self._finish(delivery, status=DELIVERED, attempts=delivery.attempts + 1,
                                  delivered_at=now)

    async def mark_failed(self, delivery: Delivery, problem: str,
                          retry_at: float | None) -> Delivery | None:
        """One more failed attempt: due again at ``retry_at``, or given up when it is None."""
        values: dict[str, Any] = {"attempts": delivery.attempts + 1,
                                  "last_error": problem[:ERROR_CHARS]}
        if retry_at is None:
            values["status"] = GIVEN_UP
        else:
            values["next_attempt_at"] = retry_at
        return await self._finish(delivery, **values)

    async def release(self, delivery: Delivery) -> None:
        """Give a claim back unfinished (the server is stopping): due again at once elsewhere."""
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(outbox).where(
                    outbox.c.id == delivery.id,
                    outbox.c.claimed_until == delivery.claimed_until,
                ).values(claimed_until=None)
            )

    async def backlog(self) -> Backlog:
        due = sa.case(
            (outbox.c.claimed_until > outbox.c.next_attempt_at, outbox.c.claimed_until),
            else_=outbox.c.next_attempt_at,
        )
        async with self._db.connect() as conn:
            row = (await conn.execute(
                sa.select(sa.func.count(), sa.func.min(outbox.c.created_at), sa.func.min(due))
                .where(outbox.c.status == PENDING)
            )).one()
        return Backlog(int(row[0]), row[1], row[2])

    async def get(self, delivery_id: str) -> Delivery | None:
        async with self._db.connect() as conn:
            row = (await conn.execute(
                sa.select(outbox).where(outbox.c.id == delivery_id))).mappings().first()
        return Delivery.of(row) if row is not None else None

    async def of_case(self, case_id: str) -> list[Delivery]:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(outbox).where(outbox.c.case_id == case_id)
                .order_by(outbox.c.created_at, outbox.c.id)
            )
            return [Delivery.of(row) for row in result.mappings()]
