"""Fixtures for the storage tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from HELPWIRE_TEST_POSTGRES_URL. When it cannot be reached the postgres
variant is skipped with the reason, or fails when CI is set, so it is never silently lost.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from server.core.case import Case
from server.store import Database
from server.store.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
POSTGRES_URL = os.environ.get("HELPWIRE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL

HOW_TO_START_POSTGRES = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
    "and point HELPWIRE_TEST_POSTGRES_URL at it "
    f"(default {DEFAULT_POSTGRES_URL}; e.g. "
    "export HELPWIRE_TEST_POSTGRES_URL=postgresql+asyncpg://USER@HOST:PORT/DATABASE)"
)


async def _postgres_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None when it can."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure to connect means "not available"
        return f"{type(error).__name__}: {error}"
    finally:
        await engine.dispose()
    return None


async def _drop_helpwire_tables(url: str) -> None:
    """Leave the schema as if Helpwire had never migrated it."""
    names = [table.name for table in reversed(metadata.sorted_tables)] + ["alembic_version"]
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database; the SQLite file's folder does not exist yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'helpwire.sqlite3').as_posix()}"
        return
    problem = await _postgres_problem(POSTGRES_URL)
    if problem is not None:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem}); " + (
            HOW_TO_START_POSTGRES
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    await _drop_helpwire_tables(POSTGRES_URL)
    try:
        yield POSTGRES_URL
    finally:
        await _drop_helpwire_tables(POSTGRES_URL)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A started (migrated) database, closed after the test."""
    database = Database(database_url)
    await database.start()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """Build a fresh Case in CREATED; keyword arguments override the defaults."""

    def make(case_id: str = "c-1", **overrides: Any) -> Case:
        fields: dict[str, Any] = {
            "id": case_id,
            "store": "s1",
            "channel": "app",
            "context": {"cart": {"lines": [{"sku": "A1", "qty": 2}]}, "page": "checkout"},
            "queue": "general",
            "skills": frozenset(),
            "language": "sv",
            "first_channel": "chat",
            "priority": 0,
            "created_at": 1000.0,
        }
        fields.update(overrides)
        return Case(**fields)

    return make
