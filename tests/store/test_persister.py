"""The persister: batches in one transaction, in order; a refused job loses only itself, and a
submitter learns when its write is committed."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from server.core.case import Case, CaseState
from server.core.effects import KeepTranscript, SaveCallback, SaveCase
from server.core.errors import CaseMoved
from server.core.history import ChatLineSent, Marked
from server.runtime.persister import Persister, StorageRejected
from server.settings import DurabilitySettings
from server.store import CaseRepository, Database
from server.store.cases import CaseBatch
from server.store.tables import callback_requests, case_events, cases, transcript_messages

MakeCase = Callable[..., Case]
MAX_BATCH_JOBS = DurabilitySettings().max_batch_jobs


@contextlib.asynccontextmanager
async def running(persister: Persister) -> AsyncIterator[Persister]:
    persister.start()
    try:
        yield persister
    finally:
        await persister.stop()


def _count_transactions(db: Database) -> list[object]:
    begins: list[object] = []

    def began(conn: Any) -> None:
        begins.append(conn)

    sa.event.listen(db.engine.sync_engine, "begin", began)
    return begins


async def test_a_batch_of_saves_for_many_cases_lands_completely_and_in_order(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    live: dict[str, Case] = {}
    total = MAX_BATCH_JOBS * 2 + 50  # more than two batches
    jobs = 0
    async with running(Persister(repo, live.get)) as persister:
        begins = _count_transactions(db)
        for i in range(total):
            case = live[f"p-{i:03}"] = make_case(f"p-{i:03}", created_at=1000.0 + i)
            case.transition(CaseState.QUEUED, at=1001.0 + i)
            persister.submit(SaveCase(case.id))
            persister.submit(SaveCase(case.id))  # coalesced with the queued one
            jobs += 1
            if i % 10 == 0:  # these need the case row saved just before, in the same transaction
                persister.submit(SaveCallback(case.id, 1002.0, "no_agent", None, {"n": 1}, 1300.0))
                persister.submit(
                    SaveCallback(case.id, 1003.0, "customer_asked", None, {"n": 2}, 1400.0)
                )
                for n in range(3):
                    persister.submit(KeepTranscript(case.id, 1004.0, "customer", f"line {n}"))
                jobs += 5
        await persister.flush()
        transactions = len(begins)

    assert transactions == -(-jobs // MAX_BATCH_JOBS)  # ceil: one per full batch
    rows = await repo.list_cases()
    assert [(r["id"], r["state"]) for r in rows] == [(f"p-{i:03}", "queued") for i in range(total)]
    async with db.connect() as conn:
        events = (await conn.execute(
            sa.select(case_events.c.case_id, case_events.c.seq)
            .order_by(case_events.c.case_id, case_events.c.seq)
        )).all()
        callbacks = (await conn.execute(
            sa.select(callback_requests.c.case_id, callback_requests.c.reason,
                      callback_requests.c.cart_snapshot)
            .order_by(callback_requests.c.case_id)
        )).all()
        lines = (await conn.execute(
            sa.select(transcript_messages.c.case_id, transcript_messages.c.text)
            .order_by(transcript_messages.c.id)
        )).all()
    assert [tuple(e) for e in events] == [(case_id, seq) for case_id in live for seq in (0, 1)]
    assert [tuple(c) for c in callbacks] == [
        (case_id, "customer_asked", {"n": 2}) for case_id in sorted(live)[::10]
    ]
    assert [tuple(line) for line in lines] == [
        (case_id, f"line {n}") for case_id in sorted(live)[::10] for n in range(3)
    ]


async def test_a_failing_job_does_not_lose_the_others_of_its_batch(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    live = {f"ok-{i}": make_case(f"ok-{i}") for i in range(5)}
    with capture_logs() as logs:
        async with running(Persister(repo, live.get)) as persister:
            for i, case_id in enumerate(live):
                persister.submit(SaveCase(case_id))
                if i == 2:  # no such case: the foreign key refuses it
                    ghost = persister.submit(
                        SaveCallback("ghost", 1.0, "no_agent", "+46700000000", {}, 2.0)
                    )
                persister.submit(KeepTranscript(case_id, 1001.0, "agent", "hello"))
            await persister.flush()
            assert isinstance(ghost.exception(), StorageRejected)  # its submitter is told
            assert persister.health.rejected_writes_total == 1
            assert not persister.health.failing  # a refused job is not an outage

    assert [r["id"] for r in await repo.list_cases()] == sorted(live)
    for case_id in live:
        assert len(await repo.events(case_id)) == 1
        assert [line["text"] for line in await repo.transcript(case_id)] == ["hello"]
    failures = [entry for entry in logs if entry["event"] == "persist_rejected"]
    assert [entry["job"] for entry in failures] == ["SaveCallback"]
    assert "+46700000000" not in repr(logs)  # no personal data in the log


async def test_saves_after_a_save_store_each_new_event_exactly_once(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case("again")
    async with running(Persister(repo, {case.id: case}.get)) as persister:
        for i in range(6):
            case.apply(Marked(1001.0 + i, mark=str(i)))
            persister.submit(SaveCase(case.id))
            if i % 2:
                await persister.flush()
        await persister.flush()
    events = await repo.events(case.id)
    assert [e["seq"] for e in events] == list(range(7))
    assert [int(e["detail"]["mark"]) for e in events[1:]] == list(range(6))


class _HeldRepository(CaseRepository):
    """Holds its first batch open until the test lets it go."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[CaseBatch]:
        async with super().batch() as batch:
            yield batch
            if not self.release.is_set():
                self.writing.set()
                await self.release.wait()


async def test_flush_waits_for_the_batch_in_progress(db: Database, make_case: MakeCase) -> None:
    repo = _HeldRepository(db)
    live = {f"h-{i}": make_case(f"h-{i}") for i in range(3)}
    async with running(Persister(repo, live.get)) as persister:
        for case_id in live:
            persister.submit(SaveCase(case_id))
        await repo.writing.wait()  # the batch is written but not committed yet
        flushed = asyncio.create_task(persister.flush())
        for _ in range(20):
            await asyncio.sleep(0)  # let the flush run as far as it can
        assert not flushed.done()
        repo.release.set()
        await flushed
        assert [r["id"] for r in await repo.list_cases()] == sorted(live)


async def test_a_submitter_is_told_only_once_its_write_is_committed(
    db: Database, make_case: MakeCase
) -> None:
    repo = _HeldRepository(db)
    case = make_case("acked")
    async with running(Persister(repo, {case.id: case}.get)) as persister:
        committed = persister.submit(SaveCase(case.id))
        await repo.writing.wait()  # written, not committed
        for _ in range(20):
            await asyncio.sleep(0)
        assert not committed.done()
        assert persister.pending == 1
        repo.release.set()
        await committed
        assert persister.pending == 0
        assert (await repo.get(case.id)) is not None


async def test_a_write_that_times_out_is_retried_until_it_is_committed(
    tmp_path: Any, make_case: MakeCase
) -> None:
    """Another writer holds the SQLite file locked: the batch times out, is retried with backoff
    and lands once the lock is gone; meanwhile the store says it cannot take new changes."""
    path = tmp_path / "locked.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path.as_posix()}")
    await db.start()
    repo = CaseRepository(db)
    case = make_case("retried")
    settings = DurabilitySettings(write_timeout_seconds=0.2, retry_initial_seconds=0.05,
                                  retry_max_seconds=0.1)
    blocker = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with capture_logs() as logs:
            async with running(Persister(repo, {case.id: case}.get, settings)) as persister:
                committed = persister.submit(SaveCase(case.id))
                await asyncio.wait_for(persister.health.degraded.wait(), 10)
                assert persister.writable() == "write_timeout"
                assert not committed.done()
                blocker.execute("ROLLBACK")
                await asyncio.wait_for(committed, 15)
                assert persister.writable() is None
        retries = [entry for entry in logs if entry["event"] == "persist_retrying"]
        assert retries and all(entry["error"] == "TimeoutError" for entry in retries)
        assert [entry["event"] for entry in logs][-1] == "persist_recovered"
        assert (await repo.get(case.id)) is not None
    finally:
        blocker.close()
        await db.close()


async def test_new_changes_are_refused_from_the_pending_limit_on(
    db: Database, make_case: MakeCase
) -> None:
    """max_pending_writes bounds memory during a long outage: at the limit the store says no."""
    repo = _HeldRepository(db)
    live = {f"l-{i}": make_case(f"l-{i}") for i in range(3)}
    settings = DurabilitySettings(max_pending_writes=3)
    async with running(Persister(repo, live.get, settings)) as persister:
        persister.submit(SaveCase("l-0"))
        await repo.writing.wait()  # held in its transaction: still pending
        persister.submit(SaveCase("l-1"))
        assert persister.pending == 2
        assert persister.writable() is None  # one below the limit
        persister.submit(SaveCase("l-2"))
        assert persister.writable() == "too_many_pending_writes"  # at the limit
        repo.release.set()
        await persister.flush()
        assert persister.writable() is None


async def test_a_chat_line_alone_appends_to_the_history_without_rewriting_the_case_row(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case("quiet")
    case.transition(CaseState.QUEUED, at=1001.0)
    await repo.save(case)
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()[:3]))

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        case.apply(ChatLineSent(1002.0, message_id="m-1", sender="customer"))
        await repo.save(case)
        written_for_the_line = list(statements)
        statements.clear()
        case.transition(CaseState.ABANDONED, at=1003.0, reason="customer_cancelled")
        await repo.save(case)
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", note)
    assert not any("cases" in s for s in written_for_the_line), written_for_the_line
    assert any("cases" in s for s in statements)  # a state change rewrites the row
    row = await repo.get("quiet")
    assert row is not None and row["state"] == "abandoned"
    assert [e["kind"] for e in await repo.events("quiet")][-2:] == ["chat_line", "transition"]


async def test_writes_submitted_within_the_linger_share_one_commit(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    live = {f"g-{i}": make_case(f"g-{i}") for i in range(5)}
    settings = DurabilitySettings(commit_linger_seconds=0.05)
    async with running(Persister(repo, live.get, settings)) as persister:
        begins = _count_transactions(db)
        futures = [persister.submit(SaveCase("g-0"))]
        await asyncio.sleep(0)  # the writer has taken the first one and lingers
        futures += [persister.submit(SaveCase(case_id)) for case_id in list(live)[1:]]
        await asyncio.gather(*futures)
    assert len(begins) == 1
    assert len(await repo.list_cases()) == 5



async def test_a_write_of_a_case_another_node_adopted_is_not_stored_and_the_case_is_let_go(
    db: Database, make_case: MakeCase
) -> None:
    """The fence: once the store says another node hosts a case, this node's writes of it are
    refused (``case_moving``) and its listeners hear which cases went; the rest of the batch is
    committed."""
    repo = CaseRepository(db)
    repo.host = "node-a"
    kept, adopted = make_case("kept"), make_case("adopted")
    live = {"kept": kept, "adopted": adopted}
    heard: list[set[str]] = []
    persister = Persister(repo, live.get)
    persister.moved_listeners.append(heard.append)
    async with running(persister):
        for case in (kept, adopted):
            case.transition(CaseState.QUEUED, at=1001.0)
            await persister.submit(SaveCase(case.id))
        # node-b adopts one of them (what CaseRepository.claim leaves in the row)
        async with db.transaction() as conn:
            await conn.execute(sa.update(cases).where(cases.c.id == "adopted")
                               .values(host_node="node-b"))
        for case in (kept, adopted):
            case.transition(CaseState.OFFERED, at=1002.0, agent_id="agent-1")
        moved = persister.submit(SaveCase("adopted"))
        saved = persister.submit(SaveCase("kept"))
        await saved
        with pytest.raises(CaseMoved) as refused:
            await moved
    assert refused.value.code == "case_moving"
    assert heard == [{"adopted"}]
    assert (await repo.get("kept") or {})["state"] == "offered"
    assert (await repo.get("adopted") or {})["state"] == "queued"  # nothing of it written
