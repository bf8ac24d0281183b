"""Agent accounts: who may log in, what they can answer, and how many cases at once.

Only password hashes are stored; hashing and verifying live in the security layer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.agents import AgentProfile
from ..core.errors import AgentNotFound, HelpwireError
from .audit import AuditEntry, append
from .database import Database
from .tables import agents


class AgentExists(HelpwireError):
    """A username is taken; usernames identify agents at login, so they are unique."""

    code = "agent_exists"

    def __init__(self, username: str) -> None:
        super().__init__(f"an agent with username {username!r} already exists")
        self.username = username


@dataclass(frozen=True)
class StoredAgent:
    id: str
    username: str
    display_name: str
    #: kept out of repr so that logging an agent never prints the hash
    password_hash: str = field(repr=False)
    skills: frozenset[str]
    languages: frozenset[str]
    max_concurrent: int
    #: e.g. {"supervisor"}: who may open the supervisor view
    roles: frozenset[str] = frozenset()
    #: tokens carry the version they were issued at; an older one is revoked
    token_version: int = 0
    #: may not sign in (an admin disabled the account)
    disabled: bool = False

    def profile(self) -> AgentProfile:
        """The agent as the dispatcher sees them."""
        return AgentProfile(id=self.id, display_name=self.display_name, skills=self.skills,
                            languages=self.languages, max_concurrent=self.max_concurrent)


class AgentRepository:
    """Creates and looks up agent accounts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        *,
        skills: Iterable[str] = (),
        languages: Iterable[str] = (),
        max_concurrent: int = 3,
        agent_id: str | None = None,
        created_at: float | None = None,
        roles: Iterable[str] = (),
        audit: Callable[[StoredAgent], AuditEntry] | None = None,
    ) -> StoredAgent:
        """Store a new agent (and the audit row ``audit`` makes of it, in the same transaction);
        raises ``AgentExists`` if the username is taken."""
        agent = StoredAgent(
            id=agent_id or str(uuid.uuid4()),
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            skills=frozenset(skills),
            languages=frozenset(languages),
            max_concurrent=max_concurrent,
            roles=frozenset(roles),
        )
        try:
            async with self._db.transaction() as conn:
                await conn.execute(
                    sa.insert(agents).values(
                        id=agent.id,
                        username=agent.username,
                        display_name=agent.display_name,
                        password_hash=agent.password_hash,
                        skills=sorted(agent.skills),
                        languages=sorted(agent.languages),
                        max_concurrent=agent.max_concurrent,
                        roles=sorted(agent.roles),
                        created_at=time.time() if created_at is None else created_at,
                    )
                )
                await append(conn, audit(agent) if audit is not None else None)
        except IntegrityError as error:
            if await self.by_username(username) is not None:
                raise AgentExists(username) from error
            raise
        return agent

    async def by_username(self, username: str) -> StoredAgent | None:
        return await self._one(agents.c.username == username)

    async def by_id(self, agent_id: str) -> StoredAgent | None:
        return await self._one(agents.c.id == agent_id)

    async def all(self) -> list[StoredAgent]:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(agents).order_by(agents.c.username))
            return [_agent(row) for row in result.mappings()]

    async def set_password_hash(self, agent_id: str, password_hash: str,
                                audit: AuditEntry | None = None) -> None:
        """Replace an agent's hash (a new password) and revoke their tokens; ``AgentNotFound``
        if absent."""
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.update(agents).where(agents.c.id == agent_id).values(
                    password_hash=password_hash, token_version=agents.c.token_version + 1)
            )
            if result.rowcount == 0:
                raise AgentNotFound(f"no agent with id {agent_id!r}")
            await append(conn, audit)

    async def revoke_tokens(self, agent_id: str) -> int:
        """Make every token issued to the agent so far invalid; returns the new version."""
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.update(agents).where(agents.c.id == agent_id)
                .values(token_version=agents.c.token_version + 1)
                .returning(agents.c.token_version)
            )
            version = result.scalar_one_or_none()
        if version is None:
            raise AgentNotFound(f"no agent with id {agent_id!r}")
        return int(version)

    async def update(
        self,
        agent_id: str,
        *,
        display_name: str | None = None,
        skills: Iterable[str] | None = None,
        languages: Iterable[str] | None = None,
        max_concurrent: int | None = None,
        roles: Iterable[str] | None = None,
        disabled: bool | None = None,
        audit: Callable[[StoredAgent, StoredAgent], AuditEntry | None] | None = None,
    ) -> StoredAgent:
        """Change what is given (None keeps it); disabling also revokes every token. ``audit``
        makes the audit row of (before, after), written in the same transaction. Returns the
        agent as stored now; ``AgentNotFound`` if absent."""
        values: dict[str, Any] = {}
        if display_name is not None:
            values["display_name"] = display_name
        if skills is not None:
            values["skills"] = sorted(set(skills))
        if languages is not None:
            values["languages"] = sorted(set(languages))
        if max_concurrent is not None:
            values["max_concurrent"] = max_concurrent
        if roles is not None:
            values["roles"] = sorted(set(roles))
        if disabled is not None:
            values["disabled"] = disabled
            if disabled:
                values["token_version"] = agents.c.token_version + 1
        async with self._db.transaction() as conn:
            before = await self._read(conn, agent_id)
            if values:
                await conn.execute(sa.update(agents).where(agents.c.id == agent_id)
                                   .values(**values))
            after = await self._read(conn, agent_id)
            if audit is not None:
                await append(conn, audit(before, after))
        return after

    @staticmethod
    async def _read(conn: AsyncConnection, agent_id: str) -> StoredAgent:
        row = (await conn.execute(sa.select(agents).where(agents.c.id == agent_id))).mappings().first()
        if row is None:
            raise AgentNotFound(f"no agent with id {agent_id!r}")
        return _agent(row)

    async def _one(self, condition: sa.ColumnElement[bool]) -> StoredAgent | None:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(agents).where(condition))
            row = result.mappings().first()
        return _agent(row) if row is not None else None


def _agent(row: Any) -> StoredAgent:
    return StoredAgent(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        skills=frozenset(row["skills"]),
        languages=frozenset(row["languages"]),
        max_concurrent=row["max_concurrent"],
        roles=frozenset(row["roles"] or ()),
        token_version=int(row["token_version"]),
        disabled=bool(row["disabled"]),
    )
