"""deploy/systemd/helpwire.service is a valid unit with the sandbox and graceful stop we promise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "helpwire.service"


def _service_section() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif line and not line.startswith("#") and section == "Service":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_the_unit_sandboxes_the_server_and_stops_it_gracefully() -> None:
    service = _service_section()
    for key, value in {"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "helpwire",
                       "NoNewPrivileges": "yes", "KillSignal": "SIGTERM"}.items():
        assert service.get(key) == [value], key
    assert service["MemoryMax"][0].rstrip("KMG").isdigit()
    assert int(service["TimeoutStopSec"][0]) >= 10
    assert "HELPWIRE_STORAGE__DATA_DIR=/var/lib/helpwire" in service["Environment"]


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: `apt-get install -y systemd` (.ci/run installs it)",
                    pytrace=False)
    # the ExecStart binary must exist for verify: point it at a stand-in under tmp_path
    helpwire = tmp_path / "helpwire"
    helpwire.write_text("#!/bin/sh\n")
    helpwire.chmod(0o755)
    unit = tmp_path / "helpwire.service"
    unit.write_text(UNIT.read_text().replace("/opt/helpwire/bin/helpwire", str(helpwire)))
    result = subprocess.run([analyze, "verify", "--man=no", str(unit)],
                            capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if "helpwire.service" in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr
