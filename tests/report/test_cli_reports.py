"""`python -m server demo-data` and `report`, and `create-agent --role`, run as an operator would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.postgres import drop_helpwire_tables, require_postgres
from tests.test_cli import env, helpwire  # noqa: F401  (env is a fixture)


def test_demo_data_is_idempotent_and_the_report_covers_it(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    first = helpwire(tmp_path, env, "demo-data", "--days", "14", "--end", "2026-11-30")
    assert first.returncode == 0, first.stderr
    assert "0 cases were already there" in first.stdout
    again = helpwire(tmp_path, env, "demo-data", "--days", "14", "--end", "2026-11-30")
    assert again.returncode == 0 and "added" in again.stdout
    assert ": 0 cases, 0 purchases, 0 sessions added" in again.stdout

    out = tmp_path / "out"
    report = helpwire(tmp_path, env, "report", "--week", "2026-W47", "--out", str(out))
    assert report.returncode == 0, report.stderr
    figures = json.loads((out / "helpwire-report-2026-W47.json").read_text())
    assert figures["demo_data"] is True and figures["total"]["cases"] > 20
    assert len(figures["case_ids"]) == figures["total"]["cases"]
    assert all(c.startswith("demo-") for c in figures["case_ids"])
    days = helpwire(tmp_path, env, "report", "--from", "2026-11-20", "--to", "2026-11-21",
                    "--out", str(out))
    assert days.returncode == 0, days.stderr
    assert (out / "helpwire-report-2026-11-20_2026-11-21.csv").is_file()
    bad = helpwire(tmp_path, env, "report", "--week", "2026-47")
    assert bad.returncode == 2 and "ISO week" in bad.stderr


def test_create_agent_with_the_supervisor_role(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    result = helpwire(tmp_path, env, "create-agent", "boss", "--password", "long-enough-1",
                      "--role", "supervisor")
    assert result.returncode == 0, result.stderr
    assert isinstance(result, subprocess.CompletedProcess)


async def test_demo_data_fits_the_postgresql_schema(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    """Case ids are 36 characters in the store; SQLite never checks that, PostgreSQL does."""
    url = await require_postgres()
    await drop_helpwire_tables(url)
    env = {**env, "HELPWIRE_STORAGE__DATABASE_URL": url}
    try:
        seeded = helpwire(tmp_path, env, "demo-data", "--days", "2", "--end", "2026-11-21")
        assert seeded.returncode == 0, seeded.stderr
        assert "0 cases were already there" in seeded.stdout
        again = helpwire(tmp_path, env, "demo-data", "--days", "2", "--end", "2026-11-21")
        assert ": 0 cases, 0 purchases, 0 sessions added" in again.stdout, again.stdout
    finally:
        await drop_helpwire_tables(url)
