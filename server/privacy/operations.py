"""Erasure (GDPR art. 17) and export (art. 15) of one person's data, each recorded in the access log.

The server runs them with its engine: a live case is ended first, by the engine, with the reason
``erasure_requested`` (its participants are told), and its end is stored before the rows are
erased. The command line has no engine: it refuses live cases unless told the server is
stopped, and then closes them through the case's own domain rule (``Case.close_by_system``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.clock import Clock
from ..core.engine.erasure import ERASURE_REASON
from ..logs import get_logger
from ..store import CaseRepository, Database
from ..store import privacy as sql
from ..store.privacy import Selector
from .access_log import AccessLog, ActorKind

if TYPE_CHECKING:
    from ..core.engine import CaseEngine
    from ..runtime.hub import Hub

log = get_logger("helpwire.privacy")

#: the version of the export document's layout (docs/privacy.md "Export")
EXPORT_FORMAT = 1


class LiveCasesRunning(Exception):
    """The command line found live cases while the server may be running."""

    def __init__(self, case_ids: list[str]) -> None:
        super().__init__(f"{len(case_ids)} matching cases are still live")
        self.case_ids = case_ids


@dataclass(frozen=True)
class Erased:
    #: live cases ended first (reason erasure_requested)
    ended: list[str]
    #: rows changed per table (anonymised or deleted); empty on a repeat
    changed: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"ended_cases": len(self.ended), "changed": self.changed}


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str | None = None


class PrivacyOperations:
    def __init__(self, database: Database, clock: Clock, *, engine: CaseEngine | None = None,
                 hub: Hub | None = None) -> None:
        self._database = database
        self._clock = clock
        self._engine = engine
        self._hub = hub
        self.access_log = AccessLog(database, clock)

    async def erase(self, selector: Selector, actor: Actor, reason: str | None = None, *,
                    server_stopped: bool = False) -> Erased:
        """End the person's live cases, then erase their rows in one transaction; idempotent."""
        states = await sql.case_states(self._database, selector)
        live = [case_id for case_id, state in states.items() if state in sql.LIVE_STATES]
        ended = await self._end_live(live, server_stopped)
        changed = await sql.erase(self._database, selector, self._clock.now())
        if self._engine is not None:
            for case_id in states:  # a finished case kept in memory must not be saved again
                self._engine.forget_case(case_id)
        await self.access_log.record(actor.kind, actor.id, "erase", case_id=selector.case_id,
                                     reason=reason,
                                     detail={**selector.describe(), "ended_cases": len(ended),
                                             "changed": changed})
        log.info("privacy_erased", selector=selector.kind, ended_cases=len(ended),
                 rows=sum(changed.values()))
        return Erased(ended, changed)

    async def export(self, selector: Selector, actor: Actor, reason: str | None = None
                     ) -> dict[str, Any]:
        """One JSON document with everything stored about the person."""
        tables = await sql.export(self._database, selector)
        document = {"format": EXPORT_FORMAT, "exported_at": self._clock.now(), **tables}
        await self.access_log.record(actor.kind, actor.id, "export", case_id=selector.case_id,
                                     reason=reason,
                                     detail={**selector.describe(),
                                             "cases": len(tables["cases"])})
        log.info("privacy_exported", selector=selector.kind, cases=len(tables["cases"]))
        return document

    async def _end_live(self, live: list[str], server_stopped: bool) -> list[str]:
        if not live:
            return []
        if self._engine is not None and self._hub is not None:
            for case_id in live:
                # the hub stores the case's end before it returns, then the engine forgets it
                await self._hub.run(self._engine.end_for_erasure(case_id))
            return live
        if not server_stopped:
            raise LiveCasesRunning(live)
        repository = CaseRepository(self._database)
        stored, _ = await repository.live_cases()
        now = self._clock.now()
        ending = [case for case in stored if case.id in set(live)]
        for case in ending:
            case.close_by_system(now, ERASURE_REASON)
        await repository.save_many(ending)
        return [case.id for case in ending]
