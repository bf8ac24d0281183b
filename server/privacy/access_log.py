"""The access log: who opened, decided on, exported or erased what, when and why.

Append-only rows in ``access_log`` (server/store/tables.py). A row names the actor by agent id
(or "operator" for the command line, "system" for the purge), never a token, a name or an
erased value. Written by the adapters after the access succeeded, so the core stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..core.clock import Clock
from ..logs import get_logger
from ..store import Database
from ..store.privacy import access_rows, record_access

log = get_logger("helpwire.access_log")

ActorKind = Literal["agent", "supervisor", "operator", "system"]
Action = Literal[
    "case_opened",  # an agent accepted the offer of a case and sees its context
    "earlier_cases_viewed",  # an agent saw the earlier cases of a case's kiosk or shop session
    "supervisor_view_opened",  # a supervisor opened the live view (queues, today's figures)
    "case_timeline_viewed",  # a supervisor opened a case's timeline (its stored history)
    "weekly_report_read",  # a supervisor opened the weekly report from the view
    "access_log_read",  # an admin read the access log
    "age_check_approved",
    "age_check_denied",
    "export",
    "erase",
    "purge",
]


class AccessLog:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def record(
        self, actor_kind: ActorKind, actor_id: str | None, action: Action, *,
        case_id: str | None = None, reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        await record_access(self._database, at=self._clock.now(), actor_kind=actor_kind,
                            actor_id=actor_id, action=action, case_id=case_id, reason=reason,
                            detail=detail)
        log.info("access_recorded", action=action, actor_kind=actor_kind, case_id=case_id)

    async def rows(self, *, case_id: str | None = None, limit: int = 100,
                   before_id: int | None = None) -> list[dict[str, Any]]:
        return await access_rows(self._database, case_id=case_id, limit=limit,
                                 before_id=before_id)
