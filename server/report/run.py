"""Produce a report end to end: read the store, compute, write the files (CLI and scheduler)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ..core.kpi import Period
from ..settings import Settings
from ..store import AnalyticsRepository, Database
from . import render
from .build import Report, build_report, load


@dataclass(frozen=True)
class Produced:
    report: Report
    paths: dict[str, Path]


def out_dir(settings: Settings) -> Path:
    return settings.reports.out_dir or settings.storage.data_dir / "reports"


async def produce(
    database: Database, settings: Settings, period: Period, now: float, out: Path | None = None
) -> Produced:
    data = await load(AnalyticsRepository(database), period, settings)
    report = build_report(data, period, settings, now)
    # matplotlib and file writes are CPU/disk work: keep the event loop free
    paths = await asyncio.to_thread(render.write, report, out or out_dir(settings))
    return Produced(report, paths)
