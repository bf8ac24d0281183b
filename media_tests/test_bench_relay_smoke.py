"""The relay benchmark's smoke mode keeps working: one call through a real Helpwire, frames delivered."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = re.compile(r"^result server=helpwire calls=1 .*video=(\d+)/(\d+) audio=(\d+)/(\d+)", re.MULTILINE)


def test_relay_benchmark_smoke_delivers_frames() -> None:
    run = subprocess.run([sys.executable, "-m", "bench.relay", "--smoke"], cwd=ROOT, capture_output=True,
                         text=True, timeout=115)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    match = RESULT.search(run.stdout)
    assert match, output[-3000:]
    video, video_sent, audio, audio_sent = (int(g) for g in match.groups())
    assert video > 0 and audio > 0, match.group(0)
    assert video_sent > 0 and audio_sent > 0, match.group(0)
