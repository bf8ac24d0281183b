"""The supervisor view's data over Socket.IO at ``/supervisor`` (agents with the supervisor role).

Connect with ``auth: {token}`` from POST /api/agent/login. The server pushes
``supervisor_state`` at once, after every change the hub carries out, when a waiting case
passes the promise, and every ``supervisor_refresh_seconds`` while anyone watches. Today's KPIs
are computed with the same functions as the weekly report, over today's stored cases and the
live ones in memory. The one client event, ``case_timeline``, goes through the same validation
checkpoint as every other namespace's (``RoleNamespace``: schemas, sizes, reserved names).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from socketio.exceptions import ConnectionRefusedError as Refused

from ..core.case import Case
from ..core.errors import CaseNotFound
from ..core.kpi import CaseFacts, case_facts, compute, days_period, previous_week
from ..logs import get_logger
from ..runtime.hub import Outgoing
from ..security.tokens import InvalidToken, check_version
from ..signalling.base import RoleNamespace, Route
from ..signalling.errors import error_payload
from ..signalling.schemas import CaseRef
from . import timeline
from .board import LIVE_STATES, board

if TYPE_CHECKING:
    from ..services import Services

log = get_logger("helpwire.supervisor")

SUPERVISOR_NS = "/supervisor"
ROOM = "supervisors"
ROLE = "supervisor"
#: stored cases are re-read at most this often; live cases are always current
STORE_CACHE_SECONDS = 10.0
#: how soon after a waiting case's promise deadline the view is pushed (the deadline is exclusive)
DEADLINE_SLACK_SECONDS = 0.05


def facts_of(case: Case) -> CaseFacts:
    """A live case's facts, exactly as they will be once stored."""
    row = {
        "id": case.id, "store": case.store, "channel": case.channel, "queue": case.queue,
        "state": case.state.value, "created_at": case.created_at,
        "closed_at": case.entered(case.state) if case.is_terminal else None,
        "label": case.label, "agent_id": case.agent_id, "agent_name": case.agent_name,
        "session_id": case.session_id, "kiosk_id": case.kiosk_id, "resolved": case.resolved,
        "rating": case.rating, "customer_dropped": case.customer_dropped,
    }
    events = [{"seq": i, "at": e.at, "kind": e.kind,
               "to_state": e.to_state.value if e.to_state is not None else None}
              for i, e in enumerate(case.events)]
    return case_facts(row, events)


class SupervisorNamespace(RoleNamespace):
    routes = {"case_timeline": Route(CaseRef, "case_timeline")}

    def __init__(self, services: Services) -> None:
        super().__init__(SUPERVISOR_NS, services)
        #: watching sockets → the supervisor's agent id
        self._watchers: dict[str, str] = {}
        #: when (engine clock) the next waiting case passes the promise
        self._next_deadline: float | None = None
        #: (socket, case) timelines already recorded in the access log: a view that follows an
        #: open timeline as the case changes is one reading, not one per change
        self._viewed: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stored: list[CaseFacts] = []
        self._stored_key: tuple[float, float] = (0.0, 0.0)  # (day start, read at)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.services.signer.agent_claims(token)
            agent = await self.services.agents.by_id(claims.agent_id)
            if agent is not None:
                check_version(claims, agent.token_version)
        except InvalidToken as error:
            raise Refused(error.message, error_payload(error)) from None
        if agent is None or ROLE not in agent.roles:
            body = {"code": "forbidden",
                    "message": "the supervisor view needs the supervisor role "
                               "(python -m server create-agent NAME --role supervisor)"}
            raise Refused(body["message"], body)
        await self.services.privacy.access_log.record("supervisor", agent.id,
                                                      "supervisor_view_opened")
        self._watchers[sid] = agent.id
        await self.enter_room(sid, ROOM)
        await self.emit("supervisor_state", await self.snapshot(), to=sid)
        self._wake.set()  # the loop's next wait may now be a promise deadline

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._watchers.pop(sid, None)
        self._viewed = {key for key in self._viewed if key[0] != sid}

    async def case_timeline(self, sid: str, payload: CaseRef) -> dict[str, Any]:
        """A case's timeline from its stored history (docs/protocol.md "case_timeline")."""
        services = self.services
        found = await services.cases.history(payload.case_id)
        if found is None:
            raise CaseNotFound(f"no case {payload.case_id[:64]!r} is stored")
        row, events = found
        live = services.engine.cases.get(payload.case_id)
        transcript = None
        if services.settings.storage.transcript_retention:
            transcript = [{"at": line["at"], "sender": line["sender"], "text": line["text"]}
                          for line in await services.cases.transcript(payload.case_id)]
        if (sid, row["id"]) not in self._viewed:
            await services.privacy.access_log.record(
                "supervisor", self._watchers.get(sid), "case_timeline_viewed", case_id=row["id"],
                detail={"transcript": transcript is not None})
            self._viewed.add((sid, row["id"]))
        return {"case": {**timeline.summary(row, events), **timeline.outcome(row, live)},
                "timeline": timeline.entries(events), "transcript": transcript}

    async def after_effects(self, batch: list[Outgoing]) -> None:
        if batch and self._watchers:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="helpwire-supervisor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _wait_seconds(self) -> float:
        """Until the next refresh, or sooner if a waiting case passes the promise before it."""
        wait = self.services.settings.supervisor_refresh_seconds
        if self._next_deadline is not None:
            until = self._next_deadline - self.services.engine.clock.now() + DEADLINE_SLACK_SECONDS
            wait = max(DEADLINE_SLACK_SECONDS, min(wait, until))
        return wait

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._wait_seconds())
            self._wake.clear()
            if not self._watchers:
                continue
            try:
                await self.emit("supervisor_state", await self.snapshot(), room=ROOM)
            except Exception:
                log.exception("supervisor_refresh_failed")

    async def _today_stored(self, start: float, now: float) -> list[CaseFacts]:
        day_start, read_at = self._stored_key
        if day_start != start or time.monotonic() - read_at > STORE_CACHE_SECONDS:
            data = await self.services.analytics.dataset(start, now + 1)
            self._stored = list(data.cases)
            self._stored_key = (start, time.monotonic())
        return self._stored

    async def snapshot(self) -> dict[str, Any]:
        services = self.services
        engine = services.engine
        now = engine.clock.now()
        reports = services.settings.reports
        today = datetime.fromtimestamp(now, ZoneInfo(reports.timezone)).date()
        period = days_period(today, today, reports.timezone)
        live = {c.id: facts_of(c) for c in engine.cases.values() if period.contains(c.created_at)}
        stored = [c for c in await self._today_stored(period.start_ts, now) if c.id not in live]
        kpis = compute([*stored, *live.values()],
                       fcr_window_seconds=reports.fcr_window_hours * 3600)
        overview = engine.queue_overview()
        queues = [{key: q[key] for key in ("name", "title", "waiting", "longest_wait_seconds",
                                           "agents_serving")} for q in overview["queues"]]
        agents: dict[str, list[dict[str, Any]]] = {"available": [], "busy": [], "away": [],
                                                   "offline": []}
        for status in engine.state.agents():
            presence = status.presence.value if status.online else "offline"
            agents[presence].append({"name": status.profile.display_name, "cases": len(status.cases)})
        for names in agents.values():
            names.sort(key=lambda a: a["name"])
        targets = reports.targets
        live_board = board(engine, services.settings.dispatch.promise_seconds)
        self._next_deadline = live_board.next_deadline
        for q in queues:
            q["agents_ready"] = live_board.ready.get(q["name"], 0)
        return {
            "at": now,
            "day": today.isoformat(),
            "queues": queues,
            "waiting": sum(q["waiting"] for q in queues),
            "longest_wait_seconds": max((q["longest_wait_seconds"] for q in queues), default=0),
            "agents": agents,
            "today": {
                "cases": kpis.cases, "answered": kpis.answered, "open": kpis.open,
                "asa_mean": kpis.asa_mean, "asa_p90": kpis.asa_p90, "fcr": kpis.fcr,
                "abandonment": kpis.abandonment, "csat_mean": kpis.csat_mean,
                "csat_responses": kpis.csat_responses,
            },
            "targets": {"asa_seconds": targets.asa_seconds, "fcr": targets.fcr,
                        "abandonment": targets.abandonment, "csat": targets.csat},
            "promise_seconds": services.settings.dispatch.promise_seconds,
            "states": list(LIVE_STATES),
            "cases": live_board.cases,
            "alerts": live_board.alerts,
            "report": {"period": previous_week(now, reports.timezone).label},
        }
