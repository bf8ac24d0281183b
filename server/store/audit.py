"""The admin audit log: who changed what in /admin, and when (append-only).

A row holds the admin's agent id and username, the action, its target and a short summary of
the value before and after. Passwords never reach it: a new password is recorded as the fact
``{"password": "changed"}``. A change and its row are written in one transaction (the
repositories take an ``AuditEntry``), so no change is stored unaudited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .tables import admin_audit


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor_id: str | None
    actor_username: str | None
    #: e.g. agent_created, quick_replies_changed
    action: str
    target: str | None
    before: Any
    after: Any


async def append(conn: AsyncConnection, entry: AuditEntry | None) -> None:
    """Write the entry in the caller's transaction (nothing for None)."""
    if entry is not None:
        await conn.execute(sa.insert(admin_audit).values(
            at=entry.at, actor_id=entry.actor_id, actor_username=entry.actor_username,
            action=entry.action, target=entry.target, before=entry.before, after=entry.after))


class AuditLog:
    """Reads audit rows, newest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(self, *, limit: int, before_id: int | None = None) -> list[dict[str, Any]]:
        query = sa.select(admin_audit).order_by(admin_audit.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(admin_audit.c.id < before_id)
        async with self._db.connect() as conn:
            result = await conn.execute(query)
            return [dict(row) for row in result.mappings()]

    async def latest_id(self) -> int:
        """The newest row's id (0 for none): every admin change adds one, so a node that sees a
        higher id than before knows that another node changed something."""
        async with self._db.connect() as conn:
            value = (await conn.execute(sa.select(sa.func.max(admin_audit.c.id)))).scalar()
        return int(value or 0)
