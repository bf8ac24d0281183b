"""Purchases and shop-session exposures (reported by the shop or POS), and reading what reports need.

Only metadata: order id, session id, store, amount, time; A/B variant per session. Nothing here
touches media, and case rows are read exactly as stored, so every report figure can be traced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..core.case import Case
from ..core.kpi import CaseFacts, Dataset, Exposure, Progress, Purchase, case_facts
from .cases import _case_row, _event_row
from .database import Database
from .tables import case_events, cases, purchases, session_exposures, session_progress

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded:
    """The outcome of an idempotent write: ``created`` False means it was already there."""

    created: bool
    row: dict[str, Any]


def _to_minor(amount: float) -> int:
    return round(amount * 100)


def _purchase_out(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["amount"] = out.pop("amount_minor") / 100
    return out


class AnalyticsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_purchase(
        self, *, order_id: str, session_id: str | None, store: str, amount: float, currency: str,
        at: float, received_at: float,
    ) -> Recorded:
        """Store a purchase once; a repeat of the same ``order_id`` returns the stored row."""
        values = {
            "order_id": order_id, "session_id": session_id, "store": store,
            "amount_minor": _to_minor(amount), "currency": currency.upper(), "at": at,
            "received_at": received_at,
        }
        existing = await self.purchase(order_id)
        if existing is not None:
            return Recorded(False, existing)
        try:
            async with self._db.transaction() as conn:
                await conn.execute(sa.insert(purchases).values(**values))
        except IntegrityError:
            # a concurrent request with the same order id won the race
            stored = await self.purchase(order_id)
            if stored is None:
                raise
            return Recorded(False, stored)
        return Recorded(True, _purchase_out(values))

    async def purchase(self, order_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(purchases).where(purchases.c.order_id == order_id))
            row = result.mappings().first()
        return _purchase_out(row) if row is not None else None

    async def add_exposure(self, *, session_id: str, store: str, variant: str, at: float) -> Recorded:
        """Log a session's exposure once; later calls return the first one unchanged."""
        existing = await self.exposure(session_id)
        if existing is not None:
            return Recorded(False, existing)
        values = {"session_id": session_id, "store": store, "variant": variant, "at": at}
        try:
            async with self._db.transaction() as conn:
                await conn.execute(sa.insert(session_exposures).values(**values))
        except IntegrityError:
            stored = await self.exposure(session_id)
            if stored is None:
                raise
            return Recorded(False, stored)
        return Recorded(True, values)

    async def exposure(self, session_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(session_exposures).where(session_exposures.c.session_id == session_id)
            )
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def add_progress(self, *, session_id: str, store: str, step: str, at: float) -> Recorded:
        """Record that a session reached ``step``, once; later calls return the first report."""
        existing = await self.progress(session_id, step)
        if existing is not None:
            return Recorded(False, existing)
        values = {"session_id": session_id, "step": step, "store": store, "at": at}
        try:
            async with self._db.transaction() as conn:
                await conn.execute(sa.insert(session_progress).values(**values))
        except IntegrityError:
            stored = await self.progress(session_id, step)
            if stored is None:
                raise
            return Recorded(False, stored)
        return Recorded(True, values)

    async def progress(self, session_id: str, step: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(session_progress).where(session_progress.c.session_id == session_id,
                                                  session_progress.c.step == step)
            )
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def dataset(self, since: float, until: float, lookahead: float = 0.0) -> Dataset:
        """Cases created in ``[since, until + lookahead)`` (the look-ahead finds repeat contacts for
        FCR), with their events, and the purchases, exposures and progress of ``[since, until)``."""
        async with self._db.connect() as conn:
            case_rows = [dict(r) for r in (await conn.execute(
                sa.select(cases).where(cases.c.created_at >= since,
                                       cases.c.created_at < until + lookahead)
                .order_by(cases.c.created_at, cases.c.id)
            )).mappings()]
            events: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for chunk in _chunks([r["id"] for r in case_rows], 500):
                for row in (await conn.execute(
                    sa.select(case_events).where(case_events.c.case_id.in_(chunk))
                    .order_by(case_events.c.case_id, case_events.c.seq)
                )).mappings():
                    events[row["case_id"]].append(dict(row))
            purchase_rows = (await conn.execute(
                sa.select(purchases).where(purchases.c.at >= since, purchases.c.at < until)
            )).mappings().all()
            exposure_rows = (await conn.execute(
                sa.select(session_exposures).where(session_exposures.c.at >= since,
                                                   session_exposures.c.at < until)
            )).mappings().all()
            progress_rows = (await conn.execute(
                sa.select(session_progress).where(session_progress.c.at >= since,
                                                  session_progress.c.at < until)
            )).mappings().all()
        facts: list[CaseFacts] = [case_facts(row, events[row["id"]]) for row in case_rows]
        return Dataset(
            cases=facts,
            purchases=[
                Purchase(r["order_id"], r["session_id"], r["store"], r["amount_minor"] / 100,
                         r["currency"], r["at"])
                for r in purchase_rows
            ],
            exposures=[Exposure(r["session_id"], r["store"], r["variant"], r["at"])
                       for r in exposure_rows],
            progress=[Progress(r["session_id"], r["store"], r["step"], r["at"])
                      for r in progress_rows],
        )


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def insert_missing(
    db: Database, case_list: Sequence[Case], purchase_list: Sequence[Purchase],
    exposure_list: Sequence[Exposure], progress_list: Sequence[Progress] = (),
) -> dict[str, int]:
    """Bulk-insert cases (with events), purchases, exposures and progress not stored yet.

    For demo data and imports; returns how many of each were added (0 on a repeat run).
    """
    added = {"cases": 0, "purchases": 0, "exposures": 0, "progress": 0}
    async with db.transaction() as conn:
        for chunk in _chunks(list(case_list), 400):
            ids = [c.id for c in chunk]
            have = set((await conn.execute(sa.select(cases.c.id).where(cases.c.id.in_(ids)))).scalars())
            new = [c for c in chunk if c.id not in have]
            if new:
                await conn.execute(sa.insert(cases), [{"id": c.id, **_case_row(c)} for c in new])
                await conn.execute(sa.insert(case_events), [
                    _event_row(c.id, seq, event) for c in new for seq, event in enumerate(c.events)
                ])
            added["cases"] += len(new)
        for pchunk in _chunks(list(purchase_list), 400):
            ids = [p.order_id for p in pchunk]
            have = set((await conn.execute(
                sa.select(purchases.c.order_id).where(purchases.c.order_id.in_(ids)))).scalars())
            rows = [{"order_id": p.order_id, "session_id": p.session_id, "store": p.store,
                     "amount_minor": _to_minor(p.amount), "currency": p.currency, "at": p.at,
                     "received_at": p.at} for p in pchunk if p.order_id not in have]
            if rows:
                await conn.execute(sa.insert(purchases), rows)
            added["purchases"] += len(rows)
        for echunk in _chunks(list(exposure_list), 400):
            ids = [e.session_id for e in echunk]
            have = set((await conn.execute(sa.select(session_exposures.c.session_id)
                                           .where(session_exposures.c.session_id.in_(ids)))).scalars())
            rows = [{"session_id": e.session_id, "store": e.store, "variant": e.variant, "at": e.at}
                    for e in echunk if e.session_id not in have]
            if rows:
                await conn.execute(sa.insert(session_exposures), rows)
            added["exposures"] += len(rows)
        for gchunk in _chunks(list(progress_list), 400):
            ids = [g.session_id for g in gchunk]
            have_steps = {tuple(row) for row in await conn.execute(
                sa.select(session_progress.c.session_id, session_progress.c.step)
                .where(session_progress.c.session_id.in_(ids)))}
            rows = [{"session_id": g.session_id, "step": g.step, "store": g.store, "at": g.at}
                    for g in gchunk if (g.session_id, g.step) not in have_steps]
            if rows:
                await conn.execute(sa.insert(session_progress), rows)
            added["progress"] += len(rows)
    return added
