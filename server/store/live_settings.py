"""The settings /admin changes while the server runs: one JSON value per section.

Sections: ``quick_replies``, ``labels``, ``store_hours``, ``queues``. A section missing from the
database is seeded from the settings and rules files on start-up; from then on the database's
value wins (docs/operations.md "Admin").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .audit import AuditEntry, append
from .database import Database
from .tables import admin_settings

_INSERT: dict[str, Callable[[sa.Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert,
}


class LiveSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, Any]:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(admin_settings.c.section, admin_settings.c.value))
            return {row.section: row.value for row in result}

    async def seed(self, section: str, value: Any, at: float) -> bool:
        """Store ``value`` unless the section has one already; True when it was stored. Two
        nodes starting at once on a fresh database both try: the second finds it there."""
        async with self._db.transaction() as conn:
            insert = _INSERT[conn.dialect.name](admin_settings).values(
                section=section, value=value, updated_at=at).on_conflict_do_nothing()
            result = await conn.execute(insert)
        return bool(result.rowcount)

    async def put(self, section: str, value: Any, at: float,
                  audit: AuditEntry | None = None) -> None:
        """Store the section's new value, and its audit row in the same transaction."""
        async with self._db.transaction() as conn:
            await append(conn, audit)
            result = await conn.execute(sa.update(admin_settings)
                                        .where(admin_settings.c.section == section)
                                        .values(value=value, updated_at=at))
            if result.rowcount == 0:
                await conn.execute(sa.insert(admin_settings).values(section=section, value=value,
                                                                    updated_at=at))
