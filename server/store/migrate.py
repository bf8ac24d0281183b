"""Running the Alembic migrations from inside the server, on a connection it already holds.

This follows Alembic's "connection sharing" recipe for asyncio: the caller does
``await conn.run_sync(upgrade)``, and ``migrations/env.py`` picks the connection up from
``config.attributes`` instead of opening its own. No alembic.ini is read, so Alembic never
touches the server's logging configuration.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic config pointing at the bundled migrations."""
    config = Config()
    # ConfigParser interpolation: a '%' in the install path must be doubled
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    command.upgrade(alembic_config(connection), revision)
