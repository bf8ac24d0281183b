"""`python -m server report` and `python -m server demo-data`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..core.kpi import Period, days_period, iso_week_period, previous_week
from ..settings import Settings


def _period(args: argparse.Namespace, settings: Settings) -> Period:
    zone = settings.reports.timezone
    if args.week and (args.date_from or args.date_to):
        raise ValueError("give either --week or --from/--to, not both")
    if args.week:
        return iso_week_period(args.week, zone)
    if args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise ValueError("--from and --to go together (inclusive local days, YYYY-MM-DD)")
        return days_period(date.fromisoformat(args.date_from), date.fromisoformat(args.date_to), zone)
    return previous_week(time.time(), zone)


async def _report(args: argparse.Namespace, settings: Settings) -> int:
    from ..store import Database
    from .run import produce

    try:
        period = _period(args, settings)
    except ValueError as error:
        print(f"helpwire: {error}", file=sys.stderr)
        return 2
    database = Database.of(settings.storage)
    await database.start()
    try:
        produced = await produce(database, settings, period, time.time(), args.out)
    finally:
        await database.close()
    total = produced.report.kpis.total
    print(f"report {period.label}: {total.cases} cases, {total.purchases} purchases")
    for kind, path in produced.paths.items():
        print(f"  {kind}: {path}")
    return 0


async def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from ..store import Database
    from ..store.analytics import insert_missing
    from .demo import generate

    zone = settings.reports.timezone
    end = date.fromisoformat(args.end) if args.end else datetime.now(ZoneInfo(zone)).date()
    data = generate(end, args.days, zone, seed=args.seed, ab_salt=settings.ab_test.salt,
                    split_b=settings.ab_test.split_b)
    database = Database.of(settings.storage)
    await database.start()
    try:
        added = await insert_missing(database, data.cases, data.purchases, data.exposures,
                                    data.progress)
    finally:
        await database.close()
    print(f"demo data for {args.days} days before {end} (stores demo-…): "
          f"{added['cases']} cases, {added['purchases']} purchases, {added['exposures']} sessions added"
          f" ({len(data.cases) - added['cases']} cases were already there)")
    return 0


def add_commands(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    report = commands.add_parser(
        "report", help="write the KPI report (HTML with charts, CSV, JSON) for a week or days")
    report.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last week)")
    report.add_argument("--from", dest="date_from", help="first local day, YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", help="last local day (inclusive), YYYY-MM-DD")
    report.add_argument("--out", type=Path, help="output folder (default <data_dir>/reports)")
    report.set_defaults(func=lambda a: asyncio.run(_report(a, settings_of(a))))

    demo = commands.add_parser(
        "demo-data", help="fill the database with a seeded synthetic month (stores demo-…)")
    demo.add_argument("--days", type=int, default=28, help="how many days (default 28)")
    demo.add_argument("--end", help="the day after the last demo day, YYYY-MM-DD (default today)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.set_defaults(func=lambda a: asyncio.run(_demo_data(a, settings_of(a))))
