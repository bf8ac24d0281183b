"""The weekly report schedule under an injected clock, and its delivery (webhook, e-mail).

Delivery goes through the outbox (rows of kind report.weekly), like the POS webhook.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from server.core.clock import ManualClock
from server.core.kpi import iso_week_period
from server.insights.wiring import INSIGHTS
from server.report.deliver import email_message, report_deliveries
from server.report.schedule import WeeklyScheduler, next_run
from server.report.sender import REPORT_WEEKLY, ReportSender
from server.settings import load_settings
from server.settings.reports import ReportSettings
from server.store import Database
from server.store.outbox import Delivery
from tests.support.live import live_server

STHLM = ZoneInfo("Europe/Stockholm")


def at(*parts: int) -> float:
    return datetime(*parts, tzinfo=STHLM).timestamp()  # type: ignore[misc]


async def test_fires_at_monday_0800_and_not_at_0759() -> None:
    clock = ManualClock(at(2026, 11, 22, 12, 0))  # Sunday noon
    runs: list[float] = []

    async def job(due: float) -> None:
        runs.append(due)

    scheduler = WeeklyScheduler(clock, 0, "08:00", "Europe/Stockholm", job)
    assert scheduler.next_at == at(2026, 11, 23, 8, 0)
    clock.advance(at(2026, 11, 23, 7, 59) - clock.now())
    assert await scheduler.check() is False and runs == []
    clock.advance(60)  # Monday 08:00:00
    assert await scheduler.check() is True and runs == [at(2026, 11, 23, 8, 0)]
    clock.advance(30)
    assert await scheduler.check() is False and len(runs) == 1  # once per Monday
    assert scheduler.next_at == at(2026, 11, 30, 8, 0)


def test_next_run_keeps_local_time_across_dst() -> None:
    # the Monday after summer time starts (2026-03-29): still 08:00 local, now UTC+2
    monday = next_run(at(2026, 3, 27, 9, 0), 0, "08:00", "Europe/Stockholm")
    assert datetime.fromtimestamp(monday, STHLM) == datetime(2026, 3, 30, 8, 0, tzinfo=STHLM)
    assert next_run(at(2026, 3, 30, 8, 0), 0, "08:00", "Europe/Stockholm") == at(2026, 4, 6, 8, 0)


async def test_scheduled_report_in_the_server_is_written_and_posted(tmp_path: Path) -> None:
    received: list[Any] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers["X-Helpwire-Delivery"], await request.json()))
        arrived.set()
        return web.json_response({"ok": True})

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clock = ManualClock(at(2026, 11, 23, 7, 59))
    try:
        async with live_server(tmp_path, clock=clock, reports={
            "schedule_enabled": True, "webhook_url": f"http://127.0.0.1:{port}/hook",
            "out_dir": str(tmp_path / "weekly"),
        }) as server:
            scheduler = server.app[INSIGHTS].scheduler
            assert scheduler is not None
            assert await scheduler.check() is False
            clock.advance(60)
            assert await scheduler.check() is True
            # queued in the outbox and delivered from there
            await asyncio.wait_for(arrived.wait(), 10)
            assert server.services.outbox is not None
            [(delivery_id, body)] = received
            row = await server.services.outbox.repository.get(delivery_id)
            assert row is not None and row.kind == REPORT_WEEKLY
    finally:
        await runner.cleanup()
    assert (tmp_path / "weekly" / "helpwire-report-2026-W47.html").is_file()
    assert body["event"] == "weekly_report" and body["delivery_id"] == delivery_id
    assert body["report"]["period"]["start"].startswith("2026-11-16T00:00:00+01:00")


async def test_email_message_carries_the_html_and_the_figures(tmp_path: Path) -> None:
    from server.report.run import produce

    settings = load_settings(storage__data_dir=tmp_path, security__secret_key="x" * 32,
                             reports={"email_to": ["drift@example.se"]})
    database = Database(settings.storage.resolved_database_url)
    await database.start()
    try:
        produced = await produce(database, settings, iso_week_period("2026-W47", "Europe/Stockholm"),
                                 now=at(2026, 11, 23, 8, 0), out=tmp_path / "out")
    finally:
        await database.close()
    message = email_message(produced, settings.reports)
    assert message["To"] == "drift@example.se"
    assert "2026-11-16" in message["Subject"]
    kinds = [part.get_content_type() for part in message.walk()]
    assert "text/html" in kinds and "text/csv" in kinds and "application/json" in kinds
    # no SMTP server listening: the attempt fails with the error's type, and does not raise
    config = ReportSettings(email_to=["drift@example.se"], smtp_host="127.0.0.1", smtp_port=1)
    [job] = report_deliveries(produced, config, now=at(2026, 11, 23, 8, 0))
    assert job.kind == REPORT_WEEKLY and job.target == "mailto:drift@example.se"
    row = Delivery(job.delivery_id, job.kind, job.target, job.payload, None, job.created_at,
                   "pending", 0, job.created_at, None, None, None)
    sender = ReportSender(config, timeout_seconds=5)
    try:
        assert await sender.send(row, job.created_at) == "ConnectionRefusedError"
    finally:
        await sender.close()
    assert date(2026, 11, 16).isoformat() in produced.report.period.label
