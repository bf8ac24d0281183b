"""The daily retention purge, run inside the server as one component (server/app.py).

It runs ``privacy.purge_first_delay_seconds`` after start-up and then every
``privacy.purge_interval_hours``. The time comes from the injected clock, so a test moves past a
retention and runs ``purge_once`` itself. A failed run is logged and tried again at the next
interval; what it would have purged stays until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac

from ..core.clock import Clock
from ..logs import get_logger
from ..settings.privacy import PrivacySettings
from ..store import Database
from ..store.privacy import purge
from .access_log import AccessLog
from .retention import cutoffs

log = get_logger("helpwire.purge")


def pseudonym_key(secret_key: str) -> bytes:
    """The purge's pseudonym key, derived from the server's secret (never stored on its own)."""
    return hmac.new(secret_key.encode(), b"helpwire-retention-pseudonyms-v1", hashlib.sha256).digest()


class RetentionPurge:
    def __init__(self, database: Database, settings: PrivacySettings, clock: Clock,
                 key: bytes) -> None:
        self._database = database
        self._settings = settings
        self._clock = clock
        self._key = key
        self._access_log = AccessLog(database, clock)
        self._task: asyncio.Task[None] | None = None

    async def purge_once(self) -> dict[str, int]:
        """Anonymise or delete everything past its retention now; returns rows per table."""
        now = self._clock.now()
        changed = await purge(self._database, cutoffs(self._settings, now), self._key, now)
        if changed:
            await self._access_log.record("system", None, "purge", detail={"changed": changed})
        log.info("retention_purged", rows=sum(changed.values()), **changed)
        return changed

    def start(self) -> None:
        if self._settings.purge_enabled:
            self._task = asyncio.create_task(self._loop(), name="helpwire-retention-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        interval = self._settings.purge_interval_hours * 3600
        await asyncio.sleep(self._settings.purge_first_delay_seconds)
        while True:
            try:
                await self.purge_once()
            except Exception:
                log.exception("retention_purge_failed")
            await asyncio.sleep(interval)
