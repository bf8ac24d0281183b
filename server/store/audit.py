"""The admin audit log: who changed what in /admin, and when (append-only).

A row holds the admin's agent id and username, the action, its target and a short summary of
the value before and after. Passwords never reach it: a new password is recorded as the fact
``{"password": "changed"}``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .database import Database
from .tables import admin_audit


class AuditLog:
    """Appends and reads audit rows, newest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, at: float, actor_id: str | None, actor_username: str | None,
                     action: str, target: str | None, before: Any, after: Any) -> int:
        async with self._db.transaction() as conn:
            result = await conn.execute(sa.insert(admin_audit).values(
                at=at, actor_id=actor_id, actor_username=actor_username, action=action,
                target=target, before=before, after=after))
            key = result.inserted_primary_key
        return int(key[0]) if key else 0

    async def rows(self, *, limit: int, before_id: int | None = None) -> list[dict[str, Any]]:
        query = sa.select(admin_audit).order_by(admin_audit.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(admin_audit.c.id < before_id)
        async with self._db.connect() as conn:
            result = await conn.execute(query)
            return [dict(row) for row in result.mappings()]
