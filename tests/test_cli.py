"""The command line, run as an operator would: `python -m server …` in a fresh folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED_RULES = REPO / "server" / "defaults" / "rules.toml"
WAIT = 30  # seconds: an upper bound for anything to happen, never a sleep


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of an operator's shell: no HELPWIRE_* settings leak in from ours."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELPWIRE_") and k != "PORT"}
    clean["PYTHONPATH"] = str(REPO)
    clean["HELPWIRE_STORAGE__DATA_DIR"] = str(tmp_path / "data")
    return clean


def helpwire(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=WAIT)


def broken_rules(tmp_path: Path) -> tuple[Path, int]:
    """The shipped rules with one unknown signal; returns the file and the line at fault."""
    lines = SHIPPED_RULES.read_text(encoding="utf-8").splitlines()
    number = lines.index('when = { payment_step = "payment" }') + 1
    lines[number - 1] = 'when = { payment_stage = "payment" }'
    path = tmp_path / "broken-rules.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, number


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_help_documents_every_command(tmp_path: Path, env: dict[str, str]) -> None:
    result = helpwire(tmp_path, env, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "create-agent", "check-rules"):
        assert command in result.stdout
    assert "--config" in result.stdout and "HELPWIRE_" in result.stdout
    serve = helpwire(tmp_path, env, "serve", "--help")
    assert "--port" in serve.stdout and "--host" in serve.stdout


def test_check_rules_passes_on_the_shipped_rules(tmp_path: Path, env: dict[str, str]) -> None:
    result = helpwire(tmp_path, env, "check-rules")
    assert result.returncode == 0, result.stderr
    assert str(SHIPPED_RULES) in result.stdout
    assert "all valid" in result.stdout
    explicit = helpwire(tmp_path, env, "check-rules", str(SHIPPED_RULES))
    assert explicit.returncode == 0 and explicit.stdout == result.stdout


def test_check_rules_names_the_file_and_line_of_an_unknown_signal(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path, line = broken_rules(tmp_path)
    result = helpwire(tmp_path, env, "check-rules", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"rules file {path}, line {line}:" in result.stderr
    assert "unknown signal 'payment_stage'" in result.stderr


def test_serve_refuses_to_start_with_a_broken_rules_file(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path, line = broken_rules(tmp_path)
    env["HELPWIRE_RULES_FILE"] = str(path)
    port = free_port()
    result = helpwire(tmp_path, env, "serve", "--port", str(port))
    assert result.returncode == 2
    assert f"rules file {path}, line {line}:" in result.stderr
    assert "unknown signal 'payment_stage'" in result.stderr
    assert "serving" not in result.stdout
    # and the same message from check-rules, which reads the configured file
    check = helpwire(tmp_path, env, "check-rules")
    assert check.returncode == 2
    assert check.stderr.splitlines()[0] == result.stderr.splitlines()[0]


def test_a_configuration_error_exits_2_with_the_setting_named(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env["HELPWIRE_LOG__LEVEL"] = "LOUD"
    result = helpwire(tmp_path, env, "check-rules")
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "log.level" in result.stderr
    missing = helpwire(tmp_path, {**env, "HELPWIRE_LOG__LEVEL": "INFO"},
                       "--config", str(tmp_path / "nope.toml"), "check-rules")
    assert missing.returncode == 2
    assert "nope.toml" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n", encoding="utf-8")
    unreadable = helpwire(tmp_path, {**env, "HELPWIRE_LOG__LEVEL": "INFO"},
                          "--config", str(broken), "check-rules")
    assert unreadable.returncode == 2
    assert f"configuration error: {broken}:" in unreadable.stderr
    assert "line 1" in unreadable.stderr and "Traceback" not in unreadable.stderr


def test_create_agent_creates_once_and_refuses_a_duplicate(
    tmp_path: Path, env: dict[str, str]
) -> None:
    args = ("create-agent", "lisa", "--display-name", "Lisa", "--password", "long-enough-1",
            "--skill", "payments", "--language", "sv")
    created = helpwire(tmp_path, env, *args)
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created agent lisa (")

    again = helpwire(tmp_path, env, *args)
    assert again.returncode == 1
    assert again.stderr.strip() == "helpwire: an agent with username 'lisa' already exists"

    short = helpwire(tmp_path, env, "create-agent", "omar", "--password", "short")
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(
    tmp_path: Path, env: dict[str, str]
) -> None:
    created = helpwire(tmp_path, env, "create-agent", "lisa", "--password", "long-enough-1")
    assert created.returncode == 0, created.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        health: tuple[int, dict[str, object]] | None = None
        while health is None:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the server never answered /healthz"
            try:
                health = get_json(f"{url}/healthz")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)  # polling: the server is still starting
        assert health == (200, {"status": "ok"})

        # the agent created by the command line can sign in to the running server
        login = urllib.request.Request(
            f"{url}/api/agent/login", method="POST",
            data=json.dumps({"username": "lisa", "password": "long-enough-1"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=5) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["agent"]["display_name"] == "lisa"

        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=WAIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, stderr
    assert f"Helpwire is serving on http://127.0.0.1:{port}/" in stdout
    assert "server_stopped" in stdout + stderr
    assert "Traceback" not in stderr
    with pytest.raises(urllib.error.URLError):
        get_json(f"{url}/healthz")


def test_a_command_run_with_an_old_setting_name_warns_naming_the_new_one(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env.pop("HELPWIRE_STORAGE__DATA_DIR")
    env["HELPWIRE_DATA_DIR"] = str(tmp_path / "data")
    result = helpwire(tmp_path, env, "check-rules")
    assert result.returncode == 0, result.stderr
    assert ("helpwire: warning: HELPWIRE_DATA_DIR is deprecated and will stop working in the next"
            " release; use HELPWIRE_STORAGE__DATA_DIR") in result.stderr
