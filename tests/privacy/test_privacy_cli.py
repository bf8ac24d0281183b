"""`python -m server privacy erase|export|purge`, run as an operator would, on a demo database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import env, helpwire  # noqa: F401  (env is a fixture)

SESSION = "demo-kvartersbutiken-sthlm-2026-11-20-4"  # a shop session of the seeded demo month


def test_export_then_erase_a_shop_session_and_erase_again(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    seeded = helpwire(tmp_path, env, "demo-data", "--days", "3", "--end", "2026-11-21")
    assert seeded.returncode == 0, seeded.stderr
    out = tmp_path / "export.json"

    exported = helpwire(tmp_path, env, "privacy", "export", "--session", SESSION, "--out", str(out),
                        "--reason", "ticket 12")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == 1 and document["selector"] == {"selector": "session_id"}
    assert document["session_exposures"][0]["session_id"] == SESSION

    erased = helpwire(tmp_path, env, "privacy", "erase", "--session", SESSION)
    assert erased.returncode == 0, erased.stderr
    assert "session_exposures: 1 rows anonymised or deleted" in erased.stdout
    again = helpwire(tmp_path, env, "privacy", "erase", "--session", SESSION)
    assert again.returncode == 0 and "nothing to erase" in again.stdout
    after = helpwire(tmp_path, env, "privacy", "export", "--session", SESSION)
    assert json.loads(after.stdout)["session_exposures"] == []


def test_a_request_names_one_person_and_a_window_needs_a_zone(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    both = helpwire(tmp_path, env, "privacy", "erase", "--case", "a", "--phone", "+46")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    window = helpwire(tmp_path, env, "privacy", "erase", "--session", "s", "--since", "1")
    assert window.returncode == 2 and "a time window goes with a kiosk id only" in window.stderr
    naive = helpwire(tmp_path, env, "privacy", "export", "--kiosk", "k", "--since",
                     "2026-12-01T10:00")
    assert naive.returncode == 2 and "has no time zone" in naive.stderr


def test_purge_runs_by_hand(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    env["HELPWIRE_PRIVACY__CASE_METADATA_DAYS"] = "0"
    assert helpwire(tmp_path, env, "demo-data", "--days", "1", "--end", "2026-11-21").returncode == 0
    purged = helpwire(tmp_path, env, "privacy", "purge")
    assert purged.returncode == 0, purged.stderr
    assert "cases:" in purged.stdout
