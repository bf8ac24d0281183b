"""The upgrade benchmark keeps working: two fresh cases, direct and through coturn, give figures.

It asserts that every moment was measured in both modes, never how fast (speed is the
benchmark's business, docs/performance.md "Upgrade latency")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.coturn import INSTALL_HINT, TURNSERVER

ROOT = Path(__file__).resolve().parents[2]
MOMENTS = {"help_joined", "help_first_message", "voice_audio_customer", "voice_audio_agent",
           "voice_audio_both", "voice_packet_both", "video_frame_customer", "video_frame_agent",
           "video_frame_both"}


@pytest.mark.timeout(240)
def test_the_upgrade_benchmark_measures_every_moment_directly_and_through_turn(
    tmp_path: Path,
) -> None:
    if not TURNSERVER.exists():
        pytest.fail(f"{TURNSERVER} is missing: {INSTALL_HINT}", pytrace=False)
    run = subprocess.run([sys.executable, "-m", "bench.upgrade", "--cases", "2", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=220)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    [path] = tmp_path.glob("upgrade-*.json")
    report = json.loads(path.read_text())
    assert set(report["modes"]) == {"direct", "turn"}
    for mode in report["modes"].values():
        assert len(mode["samples"]) == 2
        assert set(mode["summary"]) == MOMENTS
        for figures in mode["summary"].values():
            assert 0 < figures["p50"] <= figures["p95"] <= figures["max"], figures
    assert len(report["machine"]["load_average_before"]) == 3
    assert "help_first_message" in run.stdout  # the table is printed
