"""Fixtures for the storage tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from HELPWIRE_TEST_POSTGRES_URL. When it cannot be reached the postgres
variant is skipped with the reason, or fails when CI is set, so it is never silently lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from server.core.case import Case
from server.store import Database
from tests.support.postgres import drop_helpwire_tables, require_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database; the SQLite file's folder does not exist yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'helpwire.sqlite3').as_posix()}"
        return
    url = await require_postgres()
    await drop_helpwire_tables(url)
    try:
        yield url
    finally:
        await drop_helpwire_tables(url)


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
