"""Alembic environment for Helpwire's metadata database.

At start-up the server runs migrations itself and hands over an open connection in
``config.attributes["connection"]`` (Alembic's "connection sharing" recipe for asyncio).
From the ``alembic`` command line the URL comes from ``sqlalchemy.url`` or the
HELPWIRE_DATABASE_URL environment variable. Logging is never reconfigured here: the
server owns its logging setup.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.store.tables import metadata

config = context.config
target_metadata = metadata

DEFAULT_URL = "sqlite+aiosqlite:///var/helpwire.sqlite3"


def _url() -> str:
    return (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("HELPWIRE_DATABASE_URL")
        or DEFAULT_URL
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # the alembic command line: no running loop, so start one
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
