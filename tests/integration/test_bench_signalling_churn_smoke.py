"""The connection churn benchmark keeps working: its --smoke mode runs end to end against Helpwire.

Nothing here asserts timing or memory figures (this machine is shared); the report must be there
and well-formed, and the counts that do not depend on load must hold: every connection made, and
none of them left behind in the server's state or as garbage only the collector could free.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ROUND_COLUMNS = {"server", "round", "cycles", "failed", "rss_mib", "growth_mib", "lag_p99_ms",
                 "lag_p999_ms", "lag_max_ms", "metrics_lag_p999_le_ms", "gc_count", "gc_max_ms",
                 "gc_full_count", "gc_frozen", "eio_sockets", "kiosk_ids", "indexed_sids"}


def test_the_churn_smoke_run_reports_every_round_and_leaves_no_connection_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.signalling_churn", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=90,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with (tmp_path / "rounds.csv").open() as f:
        rounds = list(csv.DictReader(f))
    assert [(row["server"], int(row["round"]), int(row["cycles"])) for row in rounds] == [
        ("after", 1, 150), ("after", 2, 300)]
    for row in rounds:
        assert ROUND_COLUMNS <= set(row)
        assert int(row["failed"]) == 0
        assert float(row["rss_mib"]) > 0 and not math.isnan(float(row["lag_p999_ms"]))
    with (tmp_path / "summary.csv").open() as f:
        (summary,) = list(csv.DictReader(f))
    assert summary["server"] == "after" and int(summary["cycles"]) == 300
    assert int(summary["leftover_state"]) == 0
    assert float(summary["unreachable_per_cycle"]) < 1
    assert summary["meets_targets"] in {"yes", "no"}
    text = (tmp_path / "results.md").read_text()
    assert "## Summary" in text and "## Rounds" in text
