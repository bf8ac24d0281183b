"""The signalling benchmark keeps working: its --smoke mode runs end to end against Helpwire."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_smoke_run_relays_every_chat_message_and_answers_every_help_press(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.signalling", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=90,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with (tmp_path / "steps.csv").open() as f:
        steps = list(csv.DictReader(f))
    assert [row["server"] for row in steps] == ["helpwire"]
    step = steps[0]
    assert int(step["idle"]) == 50 and int(step["pairs"]) == 2
    assert int(step["sent"]) > 0 and int(step["lost"]) == 0 and int(step["acks_failed"]) == 0
    assert float(step["mem_per_idle_kib"]) > 0
    assert float(step["lag_p99_ms"]) >= 0
    with (tmp_path / "help.csv").open() as f:
        (presses,) = list(csv.DictReader(f))
    assert int(presses["presses"]) == 10 and int(presses["errors"]) == 0
    assert "## Summary" in (tmp_path / "results.md").read_text()
