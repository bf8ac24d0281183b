"""The stored history is typed: live cases are rebuilt by folding it, also from rows written
before typed events (a database made at migration 0005 and upgraded)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa

from server.core.case import Case, CaseState
from server.core.history import (
    HISTORY_EVENT_TYPES,
    Answered,
    CallbackSuggested,
    ChatLineSent,
    FeedbackReceived,
    Marked,
    Overflowed,
)
from server.store import CaseRepository, Database
from server.store.cases import _case_row
from server.store.migrate import upgrade
from server.store.tables import case_events, cases
from tests.support.legacy_history import legacy_rows

S = CaseState
T = 1000.0


def base(case_id: str) -> Case:
    return Case(id=case_id, store="s1", channel="app", context={"page": "checkout"},
                queue="general", skills=frozenset(), language="sv", first_channel="chat",
                priority=1, created_at=T, kiosk_id=f"k-{case_id}")


def live_cases() -> list[Case]:
    """One open case in each live state, with the facts that change how it resumes."""
    queued = base("queued")
    queued.transition(S.QUEUED, T + 1, queue="general")
    queued.apply(Overflowed(T + 2, from_queue="general", to_queue="oncall",
                            reason="promise_at_risk", skills=("oncall",)))
    queued.apply(CallbackSuggested(T + 3, reason="promise_at_risk"))

    offered = base("offered")
    offered.transition(S.QUEUED, T + 1, queue="general")
    offered.transition(S.OFFERED, T + 2, agent_id="lisa")

    requeued = base("requeued")  # its agent was lost: it waits again, first
    requeued.transition(S.QUEUED, T + 1, queue="general")
    requeued.transition(S.OFFERED, T + 2, agent_id="lisa")
    requeued.transition(S.ACTIVE, T + 3, agent_id="lisa", agent_name="Lisa")
    requeued.transition(S.QUEUED, T + 9, reason="agent_lost", agent_id="lisa")

    active = base("active")
    active.transition(S.QUEUED, T + 1, queue="general")
    active.transition(S.OFFERED, T + 2, agent_id="lisa")
    active.transition(S.ACTIVE, T + 3, agent_id="lisa", agent_name="Lisa")
    active.apply(ChatLineSent(T + 4, message_id="m-1", sender="customer", client_id="c-1"))

    wrap_up = base("wrap_up")
    wrap_up.transition(S.QUEUED, T + 1, queue="general")
    wrap_up.transition(S.OFFERED, T + 2, agent_id="omar")
    wrap_up.transition(S.ACTIVE, T + 3, agent_id="omar", agent_name="Omar")
    wrap_up.transition(S.WRAP_UP, T + 30, by="agent")
    wrap_up.apply(FeedbackReceived(T + 31, rating=5))
    wrap_up.feedback_text = "tack"
    return [queued, offered, requeued, active, wrap_up]


def finished_case() -> Case:
    case = base("callback")
    case.transition(S.QUEUED, T + 1, queue="general")
    case.transition(S.CALLBACK_REQUESTED, T + 5, reason="customer_asked")
    return case


async def test_live_cases_are_the_fold_of_their_stored_typed_events(
    db: Database,
) -> None:
    repo = CaseRepository(db)
    originals = live_cases()
    await repo.save_many([*originals, finished_case()])

    live, messages = await CaseRepository(db).live_cases()

    assert {c.id: c for c in live} == {c.id: c for c in originals}
    assert all(isinstance(e, HISTORY_EVENT_TYPES) for c in live for e in c.events)
    assert messages == {c.id: [] for c in originals}  # no chat text was kept


async def test_a_database_made_at_0005_is_upgraded_and_its_old_rows_still_rebuild_the_cases(
    database_url: str, tmp_path: Path,
) -> None:
    originals = live_cases()
    db = Database(database_url)
    try:
        (tmp_path / "data").mkdir(exist_ok=True)
        async with db.transaction() as conn:
            await conn.run_sync(lambda c: upgrade(c, "0005"))
            for case in [*originals, finished_case()]:
                await conn.execute(sa.insert(cases).values(id=case.id, **_case_row(case)))
                # the columns of 0005 only: kind, states and free-form detail
                await conn.execute(sa.insert(case_events), [
                    {"case_id": case.id, "seq": seq, **row}
                    for seq, row in enumerate(legacy_rows(case))])
        await db.start()  # migrates to head

        repo = CaseRepository(db)
        live, _ = await repo.live_cases()
        by_id = {c.id: c for c in live}
        assert set(by_id) == {c.id for c in originals}
        for original in originals:
            rebuilt = by_id[original.id]
            state = {f.name for f in dataclasses.fields(Case)} - {"events"}
            assert {n: getattr(rebuilt, n) for n in state} == \
                {n: getattr(original, n) for n in state}, original.id
            assert [(e.at, type(e)) for e in rebuilt.events] == \
                [(e.at, type(e)) for e in original.events]
        assert by_id["active"].events[3] == Answered(T + 3, S.OFFERED, agent_id="lisa",
                                                     agent_name="Lisa")

        # the case goes on: its new events are typed rows after the old ones, and it still loads
        active = by_id["active"]
        active.apply(Marked(T + 40, mark="needs_verification"))
        await repo.save(active)
        rows = await repo.events("active")
        assert [(r["version"], r["type"]) for r in rows] == [
            (0, None), (0, None), (0, None), (0, None), (0, None), (1, "mark")]
        again, _ = await CaseRepository(db).live_cases()
        assert next(c for c in again if c.id == "active") == active
    finally:
        await db.close()
