"""Starting and stopping the insight parts with the application (called from server/app.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from aiohttp import web

from ..core.kpi import previous_week
from ..logs import get_logger
from ..web.pages import WEB_CLIENT
from .metrics import Metrics
from .report_page import weekly_report
from .supervisor import SupervisorNamespace

if TYPE_CHECKING:
    from ..report.schedule import WeeklyScheduler
    from ..services import Services

log = get_logger("helpwire.insights")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)


async def supervisor_page(request: web.Request) -> web.StreamResponse:
    path = WEB_CLIENT / "supervisor" / "index.html"
    if not path.is_file():
        raise web.HTTPNotFound(text="supervisor/index.html is missing from web_client/")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


def setup_routes(app: web.Application) -> None:
    """Routes must exist before the app starts: /metrics, the /supervisor page and its report."""
    metrics = Metrics()
    app[METRICS] = metrics
    app.router.add_get("/metrics", metrics.handler)
    app.router.add_get("/supervisor", supervisor_page)
    app.router.add_post("/supervisor/report", weekly_report)


class Insights:
    """Metrics wiring, the /supervisor namespace and (if enabled) the weekly report schedule."""

    def __init__(self, app: web.Application, sio: socketio.AsyncServer, services: Services) -> None:
        self.services = services
        app[INSIGHTS] = self
        self.metrics = app[METRICS]
        self.metrics.attach(services)
        services.hub.observers.append(self.metrics.observe)
        services.emitter.observers.append(self.metrics.message)
        services.error_observers.append(self.metrics.error)
        self.supervisor = SupervisorNamespace(services)
        sio.register_namespace(self.supervisor)
        services.hub.observers.append(self.supervisor.after_effects)
        self.scheduler: WeeklyScheduler | None = None
        reports = services.settings.reports
        if reports.schedule_enabled:
            from ..report.schedule import WeeklyScheduler

            self.scheduler = WeeklyScheduler(
                services.engine.clock, reports.schedule_weekday, reports.schedule_time,
                reports.timezone, self.weekly_report,
            )

    async def weekly_report(self, due: float) -> None:
        """Produce last week's report (relative to ``due``) and queue its deliveries (the outbox)."""
        from ..report.deliver import report_deliveries
        from ..report.run import produce

        settings = self.services.settings
        try:
            produced = await produce(self.services.database, settings,
                                     previous_week(due, settings.reports.timezone), due)
            jobs = report_deliveries(produced, settings.reports, self.services.engine.clock.now())
            if jobs:
                await self.services.outbox.enqueue(jobs)
        except Exception:
            self.metrics.reports.labels("failed").inc()
            raise
        self.metrics.reports.labels("produced").inc()
        log.info("weekly_report_produced", html=str(produced.paths["html"]),
                 queued=[job.delivery_id for job in jobs])

    def start(self) -> None:
        self.supervisor.start()
        if self.scheduler is not None:
            self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.supervisor.stop()


INSIGHTS: web.AppKey[Insights] = web.AppKey("insights", Insights)
