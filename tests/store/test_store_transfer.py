"""A transferred case and its notes, through the real persister and store (SQLite, PostgreSQL).

After a restart the case is rebuilt from its stored events: first in its new queue, with its
promise clock and its transfer note. Notes' text goes with the case's end unless transcript
retention keeps it; the earlier cases of a kiosk come from the store.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.core.agents import AgentProfile, Presence
from server.core.case import CaseState
from server.core.clock import ManualClock
from server.core.context import CaseContext
from server.core.engine import CaseEngine
from server.core.engine.base import promise_start
from server.core.routing import load_rules
from server.runtime.hub import Hub
from server.runtime.persister import Persister
from server.settings import DEFAULT_RULES
from server.settings.dispatch import DispatchSettings
from server.store import CaseRepository, Database
from server.store.tables import case_notes
from tests.store.test_persister import running
from tests.support.engine import default_engine_config

S = CaseState
T0 = 1_800_000_000.0
RULES = load_rules(DEFAULT_RULES)


def engine_at(clock: ManualClock, **config: Any) -> CaseEngine:
    return CaseEngine(default_engine_config(**config), RULES, clock)


def sign_in(engine: CaseEngine, agent_id: str, *skills: str) -> AgentProfile:
    profile = AgentProfile(id=agent_id, display_name=agent_id.capitalize(),
                           skills=frozenset(skills))
    engine.agent_connected(profile)
    engine.set_presence(agent_id, Presence.AVAILABLE)
    return profile


async def nothing(batch: Any) -> None:
    return None


async def stored_note_texts(db: Database) -> list[str]:
    async with db.connect() as conn:
        return list((await conn.execute(sa.select(case_notes.c.text)
                                        .order_by(case_notes.c.at))).scalars())


async def test_a_transferred_case_is_rebuilt_first_in_its_new_queue_with_its_note(
    db: Database,
) -> None:
    clock = ManualClock(T0)
    engine = engine_at(clock)
    repo = CaseRepository(db)
    async with running(Persister(repo, engine.cases.get)) as persister:
        hub = Hub(engine, persister, nothing, DispatchSettings(tick_seconds=3600))
        sign_in(engine, "lisa")
        case, out = engine.open_case(CaseContext(store="s1"), kiosk_id="k-1")
        await hub.run(out)
        await hub.run(engine.accept("lisa", case.id))
        nils = sign_in(engine, "nils", "oncall")
        await hub.run(engine.set_presence("nils", Presence.BUSY))
        clock.advance(40)
        await hub.run(engine.add_note("lisa", case.id, "Kunden har kvitto")[1])
        clock.advance(1)
        await hub.run(engine.transfer("lisa", case.id, to_queue="oncall", note="Larm i kassan"))
        await persister.flush()
    assert engine.case(case.id).state is S.QUEUED

    # a new process: the case is the fold of its stored events, its notes come from case_notes
    after = engine_at(ManualClock(T0 + 100))
    live, messages = await repo.live_cases()
    notes = await repo.notes_of([c.id for c in live])
    after.restore(live, messages, {"nils": nils}, grace_seconds=30, notes=notes)

    restored = after.case(case.id)
    assert (restored.queue, restored.skills, restored.state) == ("oncall", frozenset({"oncall"}),
                                                                 S.QUEUED)
    entry = after.state.entry(case.id)
    assert entry is not None and (entry.queue, entry.front) == ("oncall", True)
    assert promise_start(restored) == T0  # the promise clock of the first queueing
    assert [(n.kind, n.text) for n in after.notes.of(case.id)] == [
        ("internal", "Kunden har kvitto"), ("transfer", "Larm i kassan")]
    transfer = after.transfer_of(restored)
    assert transfer is not None and transfer["note"] == "Larm i kassan"


async def test_notes_go_with_the_case_unless_transcript_retention_keeps_them(db: Database) -> None:
    for retention in (False, True):
        clock = ManualClock(T0)
        engine = engine_at(clock, transcript_retention=retention)
        repo = CaseRepository(db)
        async with running(Persister(repo, engine.cases.get)) as persister:
            hub = Hub(engine, persister, nothing, DispatchSettings(tick_seconds=3600))
            sign_in(engine, "lisa")
            case, out = engine.open_case(CaseContext(store="s1"))
            await hub.run(out)
            await hub.run(engine.accept("lisa", case.id))
            await hub.run(engine.add_note("lisa", case.id, f"intern-{retention}")[1])
            clock.advance(1)
            assert f"intern-{retention}" in await stored_note_texts(db)  # kept while it is open
            await hub.run(engine.close("lisa", case.id, "betalningsfråga", True,
                                       note=f"avslut-{retention}"))
            await persister.flush()
    assert await stored_note_texts(db) == ["intern-True", "avslut-True"]


async def test_the_earlier_cases_of_a_kiosk_or_session_come_newest_first_without_this_one(
    db: Database,
) -> None:
    clock = ManualClock(T0)
    engine = engine_at(clock)
    repo = CaseRepository(db)
    async with running(Persister(repo, engine.cases.get)) as persister:
        hub = Hub(engine, persister, nothing, DispatchSettings(tick_seconds=3600))
        sign_in(engine, "lisa")
        ids = []
        for i, (kiosk, session) in enumerate([("k-1", None), (None, "sess-9"), ("k-2", None),
                                              ("k-1", "sess-9")]):
            clock.advance(60)
            case, out = engine.open_case(CaseContext(store="s1", session_id=session),
                                          kiosk_id=kiosk)
            await hub.run(out)
            await hub.run(engine.accept("lisa", case.id))
            if i < 3:
                await hub.run(engine.close("lisa", case.id, "produkt saknas", i == 0))
            ids.append(case.id)
        await persister.flush()

    rows = await repo.earlier_cases(ids[3], "k-1", "sess-9", limit=10)
    assert [r["id"] for r in rows] == [ids[1], ids[0]]
    assert (rows[1]["label"], rows[1]["resolved"], rows[1]["state"]) == ("produkt saknas", True,
                                                                        "closed")
    assert [r["id"] for r in await repo.earlier_cases(ids[3], "k-1", "sess-9", limit=1)] == [ids[1]]
    assert await repo.earlier_cases(ids[3], "anon-1", None, limit=10) == []
