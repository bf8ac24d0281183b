"""Every admin change: validated, stored, recorded in the audit log, then made live.

The order is the same for each: check (models.py), write the database, append the audit row,
and only then tell the running parts (the engine, the agent namespace, the live config), so a
change that could not be stored never takes effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..core.errors import HelpwireError
from ..logs import get_logger
from ..security.passwords import hash_password
from ..settings import Label, QuickReply
from ..signalling.rooms import AGENT_NS
from ..store.agents import StoredAgent
from ..store.audit import AuditEntry, AuditLog
from ..store.live_settings import LiveSettingsRepository
from .live import LiveConfig
from .models import (
    AgentChange,
    AgentCreate,
    QueueConfig,
    StoreHours,
    check_agent_limits,
    check_labels,
    check_quick_replies,
)

if TYPE_CHECKING:
    import socketio

    from ..core.engine import CaseEngine
    from ..runtime.hub import Hub
    from ..settings import Settings
    from ..store import AgentRepository, Database

log = get_logger("helpwire.admin")

#: the role that may open /admin and call /api/admin/agents etc.
ADMIN_ROLE = "admin"


class OwnAdminAccess(HelpwireError):
    """An admin may not disable themselves or take away their own admin role (nobody might be
    left to undo it)."""

    code = "own_admin_access"


def agent_summary(agent: StoredAgent) -> dict[str, Any]:
    """An agent as /admin shows it and the audit log records it: never the password hash."""
    return {
        "id": agent.id,
        "username": agent.username,
        "display_name": agent.display_name,
        "roles": sorted(agent.roles),
        "skills": sorted(agent.skills),
        "languages": sorted(agent.languages),
        "max_concurrent": agent.max_concurrent,
        "disabled": agent.disabled,
    }


class AdminService:
    def __init__(self, settings: Settings, database: Database, agents: AgentRepository,
                 engine: CaseEngine, hub: Hub, sio: socketio.AsyncServer,
                 live: LiveConfig) -> None:
        self.settings = settings
        self.agents_store = agents
        self.engine = engine
        self.hub = hub
        self.sio = sio
        self.live = live
        self.audit = AuditLog(database)
        self.stored = LiveSettingsRepository(database)

    def _now(self) -> float:
        return self.engine.clock.now()

    def _entry(self, actor: StoredAgent, action: str, target: str | None, before: Any,
               after: Any) -> AuditEntry:
        """The audit row of a change, written with it (server/store/audit.py)."""
        log.info("admin_change", action=action, actor_id=actor.id)
        return AuditEntry(self._now(), actor.id, actor.username, action, target, before, after)

    # ------------------------------------------------------------------ agents

    async def agents(self) -> list[dict[str, Any]]:
        return [agent_summary(a) for a in await self.agents_store.all()]

    async def create_agent(self, actor: StoredAgent, body: AgentCreate) -> dict[str, Any]:
        check_agent_limits(self.settings, body.max_concurrent)
        password_hash = await asyncio.to_thread(hash_password, body.password)
        agent = await self.agents_store.create(
            username=body.username, display_name=body.display_name, password_hash=password_hash,
            skills=body.skills, languages=body.languages, max_concurrent=body.max_concurrent,
            roles=body.roles, created_at=self._now(),
            audit=lambda a: self._entry(actor, "agent_created", a.id, None,
                                        {**agent_summary(a), "password": "set"}))
        return agent_summary(agent)

    async def change_agent(self, actor: StoredAgent, agent_id: str,
                           body: AgentChange) -> dict[str, Any]:
        check_agent_limits(self.settings, body.max_concurrent)
        if agent_id == actor.id and (body.disabled
                                     or (body.roles is not None and ADMIN_ROLE not in body.roles)):
            raise OwnAdminAccess("you cannot disable yourself or take away your own admin role;"
                                 " ask another admin")
        was: list[StoredAgent] = []

        def audit(before: StoredAgent, after: StoredAgent) -> AuditEntry | None:
            was.append(before)
            old, new = agent_summary(before), agent_summary(after)
            changed = sorted(k for k in new if old[k] != new[k])
            if not changed:
                return None
            action = ("agent_disabled" if "disabled" in changed and after.disabled
                      else "agent_enabled" if "disabled" in changed else "agent_changed")
            return self._entry(actor, action, agent_id, {k: old[k] for k in changed},
                               {k: new[k] for k in changed})

        after = await self.agents_store.update(
            agent_id, display_name=body.display_name, skills=body.skills,
            languages=body.languages, max_concurrent=body.max_concurrent, roles=body.roles,
            disabled=body.disabled, audit=audit)  # AgentNotFound when absent
        namespace = self._agent_namespace()
        if after.disabled and not was[0].disabled:
            if namespace is not None:
                await namespace.revoke(agent_id, "agent_disabled")
        elif not after.disabled:
            if namespace is not None:
                namespace.profile_changed(after.profile())
            await self.hub.run(self.engine.agent_profile_changed(after.profile()))
        return agent_summary(after)

    async def reset_password(self, actor: StoredAgent, agent_id: str, password: str) -> None:
        password_hash = await asyncio.to_thread(hash_password, password)
        await self.agents_store.set_password_hash(  # revokes every token; AgentNotFound
            agent_id, password_hash,
            audit=self._entry(actor, "password_reset", agent_id, None, {"password": "changed"}))
        namespace = self._agent_namespace()
        if namespace is not None:
            await namespace.revoke(agent_id)

    def _agent_namespace(self) -> Any:
        return self.sio.namespace_handlers.get(AGENT_NS)

    # ------------------------------------------------------------------ settings

    def config(self) -> dict[str, Any]:
        sections = self.live.sections()
        display = self.settings.display
        return {
            **sections,
            "default_hours": {"opening_hours": dict(display.opening_hours),
                              "timezone": display.timezone},
            "default_queue": self.engine.rules.default_queue,
        }

    async def set_quick_replies(self, actor: StoredAgent,
                                replies: list[QuickReply]) -> list[dict[str, Any]]:
        check_quick_replies(self.settings, replies)
        after = await self._replace_list(actor, "quick_replies", self.live.quick_replies, replies)
        self.live.apply_quick_replies(replies)
        return after

    async def set_labels(self, actor: StoredAgent, labels: list[Label]) -> list[dict[str, Any]]:
        check_labels(self.settings, labels)
        after = await self._replace_list(actor, "labels", self.live.labels, labels)
        self.live.apply_labels(labels)
        return after

    async def _replace_list(self, actor: StoredAgent, section: str, old: Sequence[BaseModel],
                            new: Sequence[BaseModel]) -> list[dict[str, Any]]:
        """Store a whole list section and audit it as ``<section>_changed``; returns the new one."""
        after = [item.model_dump() for item in new]
        await self.stored.put(section, after, self._now(), self._entry(
            actor, f"{section}_changed", section, [item.model_dump() for item in old], after))
        return after

    async def set_store_hours(self, actor: StoredAgent, store: str,
                              hours: StoreHours | None) -> dict[str, Any] | None:
        """A store's own opening hours, or (None) back to the settings file's."""
        current = dict(self.live.store_hours)
        before = current[store].model_dump() if store in current else None
        if hours is None:
            current.pop(store, None)
        else:
            current[store] = hours
        after = hours.model_dump() if hours is not None else None
        await self.stored.put("store_hours", {s: h.model_dump() for s, h in current.items()},
                              self._now(),
                              self._entry(actor, "opening_hours_changed", store, before, after))
        self.live.apply_store_hours(current)
        return after

    async def set_queue(self, actor: StoredAgent, name: str,
                        queue: QueueConfig) -> dict[str, Any]:
        """Create or change one queue (titles, skills, fallback, always open)."""
        queues = self.live.queues()
        before = queues[name].model_dump() if name in queues else None
        queues[name] = queue
        rules = self.live.rules_with(queues)  # QueueError: a fallback that does not exist
        await self.stored.put("queues", {n: q.model_dump() for n, q in queues.items()},
                              self._now(),
                              self._entry(actor, "queue_created" if before is None
                                          else "queue_changed", name, before, queue.model_dump()))
        await self.hub.run(self.engine.set_rules(rules))
        return queue.model_dump()

    async def audit_rows(self, limit: int, before_id: int | None) -> list[dict[str, Any]]:
        return await self.audit.rows(limit=limit, before_id=before_id)
