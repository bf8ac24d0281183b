"""Fixtures of the fault tests: an empty PostgreSQL database (HELPWIRE_TEST_POSTGRES_URL).

When PostgreSQL cannot be reached the test is skipped with the reason, or fails when CI is set,
so it is never silently lost (as in tests/store).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from server.store.tables import metadata
from tests.support.server_process import kill_leftovers
from tests.support.verdict import FIGURES

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
HOW_TO_START_POSTGRES = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
    "and point HELPWIRE_TEST_POSTGRES_URL at it "
    f"(default {DEFAULT_POSTGRES_URL}; e.g. "
    "export HELPWIRE_TEST_POSTGRES_URL=postgresql+asyncpg://USER@HOST:PORT/DATABASE)"
)


async def _drop_helpwire_tables(url: str) -> None:
    names = [table.name for table in reversed(metadata.sorted_tables)] + ["alembic_version"]
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of an empty PostgreSQL database (Helpwire's tables dropped before and after)."""
    url = os.environ.get("HELPWIRE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    try:
        await _drop_helpwire_tables(url)
    except Exception as error:  # any failure to connect means "not available"
        message = (f"PostgreSQL at {url} is not reachable ({type(error).__name__}: {error}); "
                   + HOW_TO_START_POSTGRES)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url
    finally:
        await _drop_helpwire_tables(url)


@pytest.fixture(autouse=True)
def no_server_left_behind() -> Iterator[None]:
    """A test interrupted before its ``finally`` (e.g. by its timeout) leaves no server running."""
    yield
    left = kill_leftovers()
    assert not left, f"server processes {left} were still running after the test (killed)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The measured figures of the fault tests, shown in CI logs whether they passed or not."""
    if not FIGURES:
        return
    terminalreporter.section("fault test figures")
    for title, text in FIGURES:
        for number, line in enumerate(text.splitlines()):
            terminalreporter.write_line(f"[{title}] {line}" if number == 0 else f"    {line}")
