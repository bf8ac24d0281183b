"""With several nodes, an admin change made on one reaches the others within
``admin.reload_seconds``.

Every admin change adds an audit row in its own transaction, so the newest audit id is the
revision of everything /admin changes. A node that sees a higher one reloads the live sections
and looks at the agents signed in to it: a disabled agent's sockets are closed with
``agent_disabled`` (their tokens were revoked in the database already), the others get their new
profile (capacity, skills, languages) for the next offer. A single node needs none of it: its own
changes are live at once (server/admin/service.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ..logs import get_logger
from ..signalling.rooms import AGENT_NS

if TYPE_CHECKING:
    from ..services import Services

log = get_logger("helpwire.admin")


class AdminWatcher:
    def __init__(self, services: Services, interval_seconds: float, *, enabled: bool) -> None:
        self.services = services
        self.interval_seconds = interval_seconds
        self.enabled = enabled
        self.seen = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self._loop(), name="helpwire-admin-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        self.seen = await self.services.admin.audit.latest_id()
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.check()
            except Exception:
                log.exception("admin_reload_failed")

    async def check(self) -> bool:
        """Reload if another node (or this one) changed something since; True when it did."""
        services = self.services
        latest = await services.admin.audit.latest_id()
        if latest <= self.seen:
            return False
        self.seen = latest
        rules = services.live.apply_stored(await services.admin.stored.all())
        await services.hub.run(services.engine.set_rules(rules))
        namespace: Any = services.sio.namespace_handlers.get(AGENT_NS)
        for agent_id in list(namespace.signed_in() if namespace is not None else ()):
            stored = await services.agents.by_id(agent_id)
            if stored is None:
                continue
            if stored.disabled:
                await namespace.revoke(agent_id, "agent_disabled")
                continue
            namespace.profile_changed(stored.profile())
            await services.hub.run(services.engine.agent_profile_changed(stored.profile()))
        log.info("admin_settings_reloaded", revision=latest)
        return True
