"""The weekly report on demo data: opens in headless Chromium without errors, every chart is there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from playwright.async_api import Browser

from server.core.kpi import iso_week_period
from server.report.demo import generate
from server.report.render import CHARTS
from server.report.run import produce
from server.settings import load_settings
from server.store import Database
from server.store.analytics import insert_missing


async def test_report_on_demo_data_opens_in_chromium(
    browser: Browser, tmp_path: Path, artifacts: Path
) -> None:
    settings = load_settings(storage__data_dir=tmp_path, security__secret_key="x" * 32)
    database = Database(settings.storage.resolved_database_url)
    await database.start()
    try:
        data = generate(date(2026, 11, 30), 28, settings.reports.timezone,
                        ab_salt=settings.ab_test.salt)
        await insert_missing(database, data.cases, data.purchases, data.exposures)
        produced = await produce(database, settings, iso_week_period("2026-W47", "Europe/Stockholm"),
                                 now=1_795_000_000.0, out=tmp_path / "reports")
    finally:
        await database.close()
    assert produced.report.demo_data and produced.report.kpis.total.cases > 50
    html_path = produced.paths["html"]
    assert html_path.name == "helpwire-report-2026-W47.html"
    assert produced.paths["csv"].read_text().startswith("scope,key,cases,")

    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(f"network request {r.url}")
            if not r.url.startswith("file:") and not r.url.startswith("data:") else None)
    await page.goto(html_path.as_uri())
    for chart in CHARTS:
        figure = page.locator(f'[data-chart="{chart}"] svg')
        assert await figure.count() == 1, f"chart {chart} is missing"
        box = await figure.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, chart
    assert await page.locator(".card .ok, .card .bad").count() >= 4  # targets in green/red
    assert "Demo data" in await page.locator(".banner").inner_text()
    assert await page.locator("#ab-verdict").inner_text()
    await page.screenshot(path=str(artifacts / "report-2026-W47.png"), full_page=True)
    assert problems == []
    await page.close()
