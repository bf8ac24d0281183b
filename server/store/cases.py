"""Persisting cases: the row that reports read, the append-only event history, callback
requests with their short-lived cart, and (only if the operator asked for it) chat text.

The in-memory ``Case`` stays the source of truth while a case is open; ``save`` mirrors it.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import sqlalchemy as sa

from ..core.case import Case, CaseEvent
from .database import Database
from .tables import callback_requests, case_events, cases, transcript_messages

SENDERS = frozenset({"customer", "agent"})


class CaseRepository:
    """Reads and writes case metadata. Never sees audio, video or screen frames."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # saves of one case run in call order, so an older snapshot never overwrites a newer one
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def save(self, case: Case) -> None:
        """Upsert the case row and append the events not stored yet (seq = list index)."""
        async with self._lock(case.id):
            row = _case_row(case)
            events = list(case.events)
            async with self._db.transaction() as conn:
                updated = await conn.execute(
                    sa.update(cases).where(cases.c.id == case.id).values(**row)
                )
                if updated.rowcount == 0:
                    await conn.execute(sa.insert(cases).values(id=case.id, **row))
                stored = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(case_events)
                    .where(case_events.c.case_id == case.id)
                )
                new = [
                    _event_row(case.id, seq, event)
                    for seq, event in enumerate(events)
                    if seq >= (stored or 0)
                ]
                if new:
                    await conn.execute(sa.insert(case_events), new)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(cases).where(cases.c.id == case_id))
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def events(self, case_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(case_events)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.seq)
            )
            return [dict(row) for row in result.mappings()]

    async def list_cases(
        self, since: float | None = None, until: float | None = None
    ) -> list[dict[str, Any]]:
        """Cases created in ``[since, until)``, oldest first; either bound may be open."""
        query = sa.select(cases).order_by(cases.c.created_at, cases.c.id)
        if since is not None:
            query = query.where(cases.c.created_at >= since)
        if until is not None:
            query = query.where(cases.c.created_at < until)
        async with self._db.connect() as conn:
            result = await conn.execute(query)
            return [dict(row) for row in result.mappings()]

    # --- callbacks ----------------------------------------------------------------

    async def save_callback(
        self,
        case_id: str,
        requested_at: float,
        reason: str,
        contact: str | None,
        cart_snapshot: dict[str, Any] | list[Any] | None,
        cart_expires_at: float,
    ) -> None:
        """Record (or replace) the callback request of a case; the case must be saved."""
        values: dict[str, Any] = {
            "requested_at": requested_at,
            "reason": reason,
            "contact": contact,
            "cart_snapshot": cart_snapshot,
            "cart_expires_at": cart_expires_at,
        }
        async with self._db.transaction() as conn:
            updated = await conn.execute(
                sa.update(callback_requests)
                .where(callback_requests.c.case_id == case_id)
                .values(**values)
            )
            if updated.rowcount == 0:
                await conn.execute(sa.insert(callback_requests).values(case_id=case_id, **values))

    async def get_callback(self, case_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(callback_requests).where(callback_requests.c.case_id == case_id)
            )
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def purge_expired_carts(self, now: float) -> int:
        """Drop every cart snapshot whose hold time is over (expires_at <= now)."""
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.update(callback_requests)
                .where(
                    callback_requests.c.cart_expires_at <= now,
                    callback_requests.c.cart_snapshot.is_not(None),
                )
                .values(cart_snapshot=sa.null())
            )
            return result.rowcount

    # --- transcripts --------------------------------------------------------------

    async def add_transcript_message(self, case_id: str, at: float, sender: str, text: str) -> None:
        """Store one chat line. The caller decides whether retention is on."""
        if sender not in SENDERS:
            raise ValueError(f"sender must be 'customer' or 'agent', not {sender!r}")
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.insert(transcript_messages).values(
                    case_id=case_id, at=at, sender=sender, text=text
                )
            )

    async def transcript(self, case_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(transcript_messages)
                .where(transcript_messages.c.case_id == case_id)
                .order_by(transcript_messages.c.at, transcript_messages.c.id)
            )
            return [dict(row) for row in result.mappings()]

    def _lock(self, case_id: str) -> asyncio.Lock:
        lock = self._locks.get(case_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[case_id] = lock
        return lock


def _case_row(case: Case) -> dict[str, Any]:
    """The columns of a case, taken synchronously so the snapshot is consistent."""
    last_at = case.events[-1].at if case.events else case.created_at
    return {
        "store": case.store,
        "channel": case.channel,
        "kiosk_id": case.kiosk_id,
        "session_id": case.session_id,
        "context": dict(case.context),
        "queue": case.queue,
        "rule": case.rule,
        "skills": sorted(case.skills),
        "language": case.language,
        "first_channel": case.first_channel,
        "priority": case.priority,
        "state": case.state.value,
        "agent_id": case.agent_id,
        "agent_name": case.agent_name,
        "label": case.label,
        "resolved": case.resolved,
        "rating": case.rating,
        "feedback_text": case.feedback_text,
        "customer_dropped": case.customer_dropped,
        "overflowed": case.overflowed,
        "created_at": case.created_at,
        "updated_at": last_at,
        # when the case reached its final state (closed or abandoned)
        "closed_at": case.entered(case.state) if case.is_terminal else None,
    }


def _event_row(case_id: str, seq: int, event: CaseEvent) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": seq,
        "at": event.at,
        "kind": event.kind,
        "from_state": event.from_state.value if event.from_state is not None else None,
        "to_state": event.to_state.value if event.to_state is not None else None,
        "detail": dict(event.detail),
    }
