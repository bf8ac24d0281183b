"""The database handle: health checks and use after close."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.settings.storage import StorageSettings
from server.store import Database, DatabaseClosed


async def test_ping_is_true_on_a_live_database_and_false_after_close(database_url: str) -> None:
    db = Database(database_url)
    await db.start()
    assert await db.ping() is True
    await db.close()
    assert await db.ping() is False


async def test_ping_is_false_on_an_unreachable_postgresql() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_ping_is_false_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    db = Database(f"sqlite+aiosqlite:///{(blocker / 'helpwire.sqlite3').as_posix()}")
    try:
        assert await db.ping() is False
    finally:
        await db.close()
        await _aiosqlite_threads_finished()


async def _aiosqlite_threads_finished() -> None:
    """aiosqlite stops a failed connection's worker thread without awaiting it; the thread then
    reports back to this test's event loop, so the loop must outlive it (else, under load, the
    thread fails on a closed loop during a later test)."""
    deadline = asyncio.get_running_loop().time() + 5
    while any("_connection_worker_thread" in t.name for t in threading.enumerate()):
        assert asyncio.get_running_loop().time() < deadline, "aiosqlite worker threads linger"
        await asyncio.sleep(0.01)


async def test_a_closed_database_refuses_transactions(database_url: str) -> None:
    db = Database(database_url)
    await db.start()
    await db.close()
    with pytest.raises(DatabaseClosed):
        async with db.transaction():
            pass
    with pytest.raises(DatabaseClosed):
        await db.start()


async def test_sqlite_waits_for_another_writer_as_long_as_the_setting_says(tmp_path: Path) -> None:
    db = Database.of(StorageSettings(data_dir=tmp_path, sqlite_busy_timeout_ms=1234))
    await db.start()
    try:
        async with db.connect() as conn:
            assert (await conn.execute(sa.text("PRAGMA busy_timeout"))).scalar() == 1234
    finally:
        await db.close()


async def test_the_health_ping_gives_up_after_its_setting_when_the_server_never_answers() -> None:
    silent: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    listener = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test", ping_timeout_seconds=0.3)
    try:
        started = asyncio.get_running_loop().time()
        assert await db.ping() is False
        assert asyncio.get_running_loop().time() - started < 3  # not asyncpg's own 60 s
    finally:
        await db.close()
        for writer in silent:
            writer.close()
        listener.close()
        await listener.wait_closed()
