"""Migrations: a fresh database gets every table, a restart changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from server.core.case import Case
from server.store import CaseRepository, Database
from server.store.tables import metadata

TABLES = {
    "cases", "case_events", "agents", "callback_requests", "transcript_messages",
    "purchases", "session_exposures", "session_progress", "outbox", "live_chat_text", "access_log",
    "case_notes", "admin_settings", "admin_audit",
}


def _table_names(conn: Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


async def _versions(db: Database) -> list[str]:
    async with db.connect() as conn:
        result = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return [row[0] for row in result]


async def test_migrations_create_every_table_on_a_fresh_database(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.start()
        async with db.connect() as conn:
            names = await conn.run_sync(_table_names)
        assert names == TABLES | {"alembic_version"}
        assert await _versions(db) == ["0011"]
    finally:
        await db.close()


async def test_migrations_are_idempotent_on_restart(
    database_url: str, make_case: Callable[..., Case]
) -> None:
    first = Database(database_url)
    try:
        await first.start()
        await CaseRepository(first).save(make_case("kept"))
        await first.start()  # a second start on the same handle is harmless too
    finally:
        await first.close()

    second = Database(database_url)
    try:
        await second.start()
        async with second.connect() as conn:
            assert await conn.run_sync(_table_names) == TABLES | {"alembic_version"}
        assert await _versions(second) == ["0011"]
        stored = await CaseRepository(second).get("kept")
        assert stored is not None and stored["state"] == "created"
    finally:
        await second.close()


async def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    def differences(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))

    async with db.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_sqlite_start_creates_the_folder_and_enables_wal_and_foreign_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "deeper" / "helpwire.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path.as_posix()}")
    try:
        await db.start()
        assert path.is_file()
        async with db.connect() as conn:
            assert await conn.scalar(sa.text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
    finally:
        await db.close()


async def test_in_memory_sqlite_keeps_its_schema_across_connections() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        await db.start()
        async with db.connect() as conn:
            assert TABLES <= await conn.run_sync(_table_names)
    finally:
        await db.close()
