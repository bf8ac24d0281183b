"""The weekly report in Swedish and English: the same figures, each language's words throughout."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from server.core.abtest import verdict
from server.core.kpi import iso_week_period
from server.report import texts
from server.report.demo import generate
from server.report.run import Produced, produce
from server.settings import load_settings
from server.store import Database
from server.store.analytics import insert_missing


@pytest.fixture
async def produced(tmp_path: Path) -> AsyncIterator[Produced]:
    settings = load_settings(storage__data_dir=tmp_path, security__secret_key="x" * 32)
    database = Database(settings.storage.resolved_database_url)
    await database.start()
    try:
        data = generate(date(2026, 11, 30), 14, settings.reports.timezone,
                        ab_salt=settings.ab_test.salt)
        await insert_missing(database, data.cases, data.purchases, data.exposures)
        yield await produce(database, settings, iso_week_period("2026-W47", "Europe/Stockholm"),
                            now=1_795_000_000.0, out=tmp_path / "reports")
    finally:
        await database.close()


def visible_text(page: str) -> str:
    """The page's words outside its SVG charts, style and tags."""
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


async def test_both_languages_are_written_beside_the_csv_and_json(produced: Produced) -> None:
    paths = produced.paths
    assert paths["html"].name == "helpwire-report-2026-W47.html"
    assert paths["html_sv"].name == "helpwire-report-2026-W47.sv.html"
    english = paths["html"].read_text()
    swedish = paths["html_sv"].read_text()
    assert '<html lang="en">' in english and '<html lang="sv">' in swedish
    assert "Helpwire weekly report: 2026-11-16 – 2026-11-22" in english
    assert "Helpwire veckorapport: 2026-11-16 – 2026-11-22" in swedish


async def test_the_swedish_report_has_no_english_words_left(produced: Produced) -> None:
    swedish = visible_text(produced.paths["html_sv"].read_text())
    for word in ("Against the targets", "target", "Totals", "Per store", "Generated", "Demo data",
                 "no data", "met", "missed", "still open", "Staffing"):
        assert not re.search(rf"\b{word}\b", swedish), word
    for words in ("Mot målen", "Totalt", "Per butik", "Skapad", "Demodata", "ASA per dag",
                  "Bemanning per timme i veckan", "Lösta vid första kontakt per dag"):
        assert words in swedish, words
    # decimal commas: "12,3 %", never "12.3 %"
    assert re.search(r"\d,\d %", swedish) and not re.search(r"\d\.\d %", swedish)
    charts = produced.paths["html_sv"].read_text()
    assert "mån" in charts and "Mon" not in charts  # weekday names in the charts


async def test_the_english_report_keeps_its_words(produced: Produced) -> None:
    english = visible_text(produced.paths["html"].read_text())
    for words in ("Against the targets", "Totals", "Per store", "ASA per day", "Demo data"):
        assert words in english, words
    assert not re.search(r"\b(mål|ärenden|Totalt)\b", english)


@pytest.mark.parametrize(("args", "status"), [
    ((0, 0, 0, 10), "no_data"), ((5, 50, 7, 50), "not_enough_data"),
    ((1000, 10000, 3000, 10000), "significant"), ((3000, 30000, 3000, 30000), "not_significant"),
])
def test_every_ab_verdict_is_said_in_swedish(args: tuple[int, int, int, int], status: str) -> None:
    result = verdict(*args)
    assert result.status == status
    assert texts.ab_message(result, "en") == result.message
    swedish = texts.ab_message(result, "sv")
    assert swedish != result.message and "{" not in swedish
    if status in ("significant", "not_significant"):
        assert "procentenheter" in swedish and "," in swedish
