"""One database handle for the whole server, the same code for SQLite and PostgreSQL.

SQLite is the zero-configuration default, so its quirks are handled here: the parent
folder is created, WAL and foreign keys are switched on for every connection, and writes
from concurrent asyncio tasks are serialised in-process (SQLite has one writer at a time
anyway; queuing them here avoids "database is locked" instead of retrying on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from .migrate import upgrade

if TYPE_CHECKING:
    from ..settings.storage import StorageSettings


class DatabaseClosed(RuntimeError):
    """The database was used after ``close()``."""


class Database:
    """Owns the async engine; repositories borrow short transactions from it."""

    def __init__(self, url: str, *, ping_timeout_seconds: float = 5.0,
                 sqlite_busy_timeout_ms: int = 5000) -> None:
        self._url: URL = make_url(url)
        self._ping_timeout = ping_timeout_seconds
        self._is_sqlite = self._url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self._is_sqlite and self._url.database in (None, "", ":memory:"):
            # an in-memory database exists once per connection: share exactly one
            options["poolclass"] = StaticPool
        self._engine = create_async_engine(self._url, **options)
        if self._is_sqlite:
            event.listen(self._engine.sync_engine, "connect",
                         functools.partial(_on_sqlite_connect, busy_ms=sqlite_busy_timeout_ms))
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def of(cls, storage: StorageSettings) -> Database:
        """The database of the ``[storage]`` section, with its timeouts."""
        return cls(storage.resolved_database_url,
                   ping_timeout_seconds=storage.ping_timeout_seconds,
                   sqlite_busy_timeout_ms=storage.sqlite_busy_timeout_ms)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def start(self) -> None:
        """Prepare the storage and bring the schema up to date (safe to repeat)."""
        self._check_open()
        path = self._sqlite_path()
        if path is not None:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        async with self.transaction() as conn:
            await conn.run_sync(upgrade)

    async def ping(self) -> bool:
        """True when a trivial query succeeds; for health checks, so it never raises."""
        if self._closed:
            return False
        try:
            async with asyncio.timeout(self._ping_timeout):
                async with self._engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection; the handle cannot be used afterwards."""
        self._closed = True
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A short write transaction: committed on success, rolled back on error."""
        self._check_open()
        lock: contextlib.AbstractAsyncContextManager[Any] = (
            self._write_lock if self._is_sqlite else contextlib.nullcontext()
        )
        async with lock, self._engine.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; never waits for writers."""
        self._check_open()
        async with self._engine.connect() as conn:
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseClosed("the database has been closed")

    def _sqlite_path(self) -> Path | None:
        if not self._is_sqlite:
            return None
        database = self._url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any, *, busy_ms: int) -> None:
    """Per-connection SQLite settings; SQLite forgets them when a connection closes."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    finally:
        cursor.close()
