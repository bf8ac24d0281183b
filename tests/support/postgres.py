"""The PostgreSQL server the tests use (HELPWIRE_TEST_POSTGRES_URL), and an empty schema on it.

When it cannot be reached a test is skipped with the reason, or fails when CI is set, so it is
never silently lost.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from server.store.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
POSTGRES_URL = os.environ.get("HELPWIRE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL

HOW_TO_START_POSTGRES = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
    "and point HELPWIRE_TEST_POSTGRES_URL at it "
    f"(default {DEFAULT_POSTGRES_URL}; e.g. "
    "export HELPWIRE_TEST_POSTGRES_URL=postgresql+asyncpg://USER@HOST:PORT/DATABASE)"
)


async def postgres_problem(url: str = POSTGRES_URL) -> str | None:
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


async def require_postgres(url: str = POSTGRES_URL) -> str:
    """The URL, once it is known to answer; otherwise skip (locally) or fail (in CI) saying how."""
    problem = await postgres_problem(url)
    if problem is not None:
        message = f"PostgreSQL at {url} is not reachable ({problem}); " + HOW_TO_START_POSTGRES
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


async def drop_helpwire_tables(url: str = POSTGRES_URL) -> None:
    """Leave the schema as if Helpwire had never migrated it."""
    names = [table.name for table in reversed(metadata.sorted_tables)] + ["alembic_version"]
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()
