"""Fixtures of the fault tests: an empty PostgreSQL database (HELPWIRE_TEST_POSTGRES_URL).

When PostgreSQL cannot be reached the test is skipped with the reason, or fails when CI is set,
so it is never silently lost (as in tests/store).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.postgres import drop_helpwire_tables, require_postgres
from tests.support.server_process import kill_leftovers
from tests.support.verdict import FIGURES


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of an empty PostgreSQL database (Helpwire's tables dropped before and after)."""
    url = await require_postgres()
    await drop_helpwire_tables(url)
    try:
        yield url
    finally:
        await drop_helpwire_tables(url)


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
